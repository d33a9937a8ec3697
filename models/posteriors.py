"""A Beta posterior over a binary reward: the bandit's state per arm, stored and read back."""

from pydantic import BaseModel, ConfigDict, Field


class BetaPosterior(BaseModel):
    """Beta(prior_alpha + successes, prior_beta + failures); counts kept so they can be audited."""

    model_config = ConfigDict(frozen=True)

    successes: int = Field(0, ge=0)
    failures: int = Field(0, ge=0)
    prior_alpha: float = Field(1.0, gt=0.0)
    prior_beta: float = Field(1.0, gt=0.0)

    @property
    def alpha(self) -> float:
        return self.prior_alpha + self.successes

    @property
    def beta(self) -> float:
        return self.prior_beta + self.failures

    @property
    def trials(self) -> int:
        return self.successes + self.failures

    @property
    def mean(self) -> float:
        return self.alpha / (self.alpha + self.beta)
