"""The Hillstrom MineThatData e-mail experiment (2008) as logged bandit data.

64,000 customers were randomly sent a men's e-mail, a women's e-mail or nothing (a third each),
and their visit, conversion and spend over two weeks recorded: a uniformly random logging policy
with real outcomes, which is exactly what the replay method needs.
"""

from dataclasses import dataclass
from pathlib import Path

FILE_NAME = "hillstrom.csv"
ARM_BY_SEGMENT = {
    "Mens E-Mail": "mens_email",
    "Womens E-Mail": "womens_email",
    "No E-Mail": "no_email",
}
CONTROL_ARM = "no_email"
REWARDS = ("conversion", "visit")

_REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class LoggedExperiment:
    """One row per customer: the arm the experiment gave them and their binary outcomes."""

    arm_ids: tuple[str, ...]
    arms: list[str]
    outcomes: dict[str, list[int]]

    def __len__(self) -> int:
        return len(self.arms)

    def rate(self, arm_id: str, reward: str) -> float:
        """Measured mean reward of one arm."""
        successes, customers = self.counts(arm_id, reward)
        return successes / customers

    def counts(self, arm_id: str, reward: str) -> tuple[int, int]:
        """(successes, customers) of one arm."""
        values = [r for a, r in zip(self.arms, self.outcomes[reward], strict=True) if a == arm_id]
        return sum(values), len(values)


def hillstrom_csv(path: Path) -> Path:
    """The CSV file meant by `path`: a file, or a directory holding hillstrom.csv; a relative
    path is taken from the repository root, not the working directory."""
    path = path if path.is_absolute() else (_REPO_ROOT / path).resolve()
    return path / FILE_NAME if path.is_dir() else path


def load_hillstrom(path: Path, sample: int | None = None, seed: int = 0) -> LoggedExperiment:
    """Read the CSV at `path` (a file, or a directory holding hillstrom.csv); `sample` rows
    drawn at random with `seed` when given."""
    # pandas is the optional [ml] extra: only this reader needs it, and the replay and the
    # bandit around it are imported by every journeyctl process (the worker among them).
    import pandas as pd

    path = hillstrom_csv(path)
    frame = pd.read_csv(path, usecols=["segment", *REWARDS])
    unknown = set(frame["segment"].unique()) - set(ARM_BY_SEGMENT)
    if unknown:
        raise ValueError(f"{path}: unexpected segments {sorted(unknown)}")
    if sample is not None and sample < len(frame):
        frame = frame.sample(n=sample, random_state=seed)
    return LoggedExperiment(
        arm_ids=tuple(ARM_BY_SEGMENT.values()),
        arms=frame["segment"].map(ARM_BY_SEGMENT).tolist(),
        outcomes={reward: frame[reward].astype(int).tolist() for reward in REWARDS},
    )
