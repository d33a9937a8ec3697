"""Settings of the scoring package; the app nests this model in its one settings object."""

from pathlib import Path

from pydantic import BaseModel, Field, model_validator

from models.channels import Channel

# scoring/ sits at the repository root, so relative paths below resolve from a clean clone.
REPO_ROOT = Path(__file__).resolve().parent.parent


def repo_path(path: Path) -> Path:
    """`path` as given when absolute, else taken from the repository root (not the cwd)."""
    return path if path.is_absolute() else REPO_ROOT / path


class TrainingSettings(BaseModel):
    holdout_fraction: float = Field(
        0.2,
        gt=0.0,
        lt=0.5,
        description="share of the sessions kept out of cross-validation and the final fit (a "
        "stratified slice) to evaluate the model on; the model's metadata records it and "
        "split_seed so anyone can rebuild the same split and check it",
    )
    split_seed: int = Field(20190, description="random seed of the holdout split")
    cv_folds: int = Field(
        5, ge=2, description="folds of the stratified cross-validation (--folds overrides it)"
    )
    max_depth: int = Field(
        3,
        ge=1,
        description="depth of each XGBoost tree; shallow: cross-validation showed depth 3-5 "
        "within 0.001 AUC of each other, and 3 keeps the committed artifact under 200 KB",
    )
    learning_rate: float = Field(
        0.1, gt=0.0, description="XGBoost's eta: how much each round's tree counts"
    )
    rounds: int = Field(
        150,
        ge=1,
        description="boosting rounds, one tree each (--rounds overrides it); 100-400 rounds "
        "scored within 0.001 AUC of each other",
    )
    min_child_weight: float = Field(
        5.0,
        ge=0.0,
        description="XGBoost's least hessian weight in a leaf: larger makes fewer, safer splits",
    )
    subsample: float = Field(
        0.8, gt=0.0, le=1.0, description="share of the sessions each tree is grown on"
    )
    colsample_bytree: float = Field(
        0.8, gt=0.0, le=1.0, description="share of the features each tree may use"
    )
    seed: int = Field(7, description="random seed of XGBoost and of the cross-validation folds")


class SendTimeSettings(BaseModel):
    default_start_hour: int = Field(
        19,
        ge=0,
        le=23,
        description="local hour the default send window opens, for customers whose history "
        "says too little (PRODUCT.md: segment default 19:00-21:00); learned windows tied on "
        "activity go to the one starting nearest it",
    )
    default_end_hour: int = Field(
        21, ge=0, le=23, description="local hour the default send window closes (exclusive)"
    )
    window_hours: int = Field(2, ge=1, le=6, description="width in hours of a learned send window")
    min_history_events: int = Field(
        5,
        ge=1,
        description="opens, clicks and session starts within the allowed hours needed to learn "
        "a customer's window; fewer: the default window",
    )
    allowed_start_hour: int = Field(
        9,
        ge=0,
        le=23,
        description="local hour from which windows may be learned: only inside the hours "
        "guardrails allow (quiet hours 22:00-09:00), since a send in quiet hours would only "
        "be deferred to 09:00",
    )
    allowed_end_hour: int = Field(
        22,
        ge=0,
        le=24,
        description="local hour at which windows stop being learnable (exclusive; 24: midnight)",
    )


def _default_channel_priors() -> dict[Channel, float]:
    # Falling prior response rates in the product's order of priority, close enough that a
    # handful of real responses re-orders them.
    return {
        Channel.INAPP: 0.10,
        Channel.PUSH: 0.10,
        Channel.WECHAT: 0.08,
        Channel.EMAIL: 0.06,
        Channel.SMS: 0.04,
    }


class ChannelPreferenceSettings(BaseModel):
    prior_response_rate: dict[Channel, float] = Field(
        default_factory=_default_channel_priors,
        description="assumed share of sends opened or clicked, per channel (JSON object), "
        "before the customer's own answers; falling in the product's priority order, so with no "
        "history channels rank in that order",
    )
    prior_strength: float = Field(
        10.0,
        gt=0.0,
        description="weight of the prior, in sends: the Beta prior is (rate * strength, "
        "(1 - rate) * strength), so after about this many sends on a channel the customer's "
        "own answers count as much as the prior",
    )
    # The evidence that may reorder a journey step's channels (scoring.channel_preference): both
    # channels sent this often to the customer, the later one answered this much more often.
    # Five sends each keep one lucky open from deciding; a lead over 10 points is more than twice
    # the gap between neighbouring priors, so the prior alone never reorders a step.
    min_sends_to_reorder: int = Field(
        5, ge=1, description="sends on each of two channels before answers may reorder a step's"
    )
    min_rate_lead: float = Field(
        0.10, ge=0.0, le=1.0, description="answer-rate lead a later channel needs to go first"
    )


class ScoringSettings(BaseModel):
    model_path: Path = Field(
        Path("scoring/artifacts/intent-v1.json"),
        description="the XGBoost intent model the worker loads at start, with its .meta.json "
        "beside it (relative: to the repository root)",
    )
    data_path: Path = Field(
        Path("../shared/data/online_shoppers_intention.csv"),
        description="the sessions CSV the intent model is trained on (relative: to the "
        "repository root); the default of `journeyctl scoring train --data`",
    )

    cold_below: float = Field(
        35.0, description="intent scores (0-100) below this are cold (PRODUCT.md: cold < 35)"
    )
    hot_above: float = Field(
        70.0,
        description="intent scores (0-100) above this are hot, those between warm "
        "(PRODUCT.md: warm 35-70, hot > 70)",
    )

    session_gap_minutes: float = Field(
        30.0,
        gt=0.0,
        description="minutes of silence after which a customer's next event starts a new "
        "session, unless events carry a session_id (Google Analytics' default, the tool that "
        "produced the training data)",
    )
    min_session_page_views: int = Field(
        3,
        ge=1,
        description="page views the latest session needs for the model to score the customer; "
        "fewer: too little to go on, the documented rules score instead",
    )
    session_max_age_days: float = Field(
        7.0,
        gt=0.0,
        description="days after which the latest session says little about today (a dormant "
        "customer's last visit): the rules, with their recency terms, score instead",
    )

    rfm_weight: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        description="weight of the order-habit term in the noisy-OR blend with the session "
        "model (what the model cannot see; scoring/intent.py)",
    )
    recency_half_life_days: float = Field(
        30.0,
        gt=0.0,
        description="days since the last order after which the order-habit term halves",
    )
    cart_weight: float = Field(
        0.4,
        ge=0.0,
        le=1.0,
        description="weight of the cart term in the noisy-OR blend with the session model",
    )
    cart_items_full_weight: int = Field(
        3,
        ge=1,
        description="cart items from which the cart counts fully, in the blend and the rules "
        "(30 points rather than 20)",
    )
    high_value_monetary: float = Field(
        1000.0,
        ge=0.0,
        description="total spend (order currency) from which a customer counts as high-value "
        "in the cold-start rules (5 points)",
    )

    training: TrainingSettings = Field(
        default_factory=TrainingSettings,
        description="the recipe of `journeyctl scoring train` (lab/scoring/training.py); its "
        "--folds and --rounds options override two of them",
    )
    send_time: SendTimeSettings = Field(default_factory=SendTimeSettings)
    channel_preference: ChannelPreferenceSettings = Field(default_factory=ChannelPreferenceSettings)

    @model_validator(mode="after")
    def _thresholds_ordered(self) -> "ScoringSettings":
        if not 0.0 <= self.cold_below <= self.hot_above <= 100.0:
            raise ValueError("need 0 <= cold_below <= hot_above <= 100")
        return self
