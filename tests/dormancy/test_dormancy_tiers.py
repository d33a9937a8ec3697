from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from dormancy.labels import DormancyTier
from dormancy.settings import DormancySettings
from dormancy.tiers import days_inactive, tier_for_days

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
SETTINGS = DormancySettings()


@pytest.mark.parametrize(
    ("days", "tier"),
    [
        (0, DormancyTier.ACTIVE),
        (29, DormancyTier.ACTIVE),
        (30, DormancyTier.LIGHT),
        (60, DormancyTier.LIGHT),
        (61, DormancyTier.MEDIUM),
        (120, DormancyTier.MEDIUM),
        (121, DormancyTier.HEAVY),
        (900, DormancyTier.HEAVY),
    ],
)
def test_tier_boundaries(days: int, tier: DormancyTier) -> None:
    assert tier_for_days(days, SETTINGS) is tier
    assert tier_for_days(days_inactive(NOW - timedelta(days=days), NOW), SETTINGS) is tier


def test_days_are_whole_days_rounded_down() -> None:
    assert days_inactive(NOW - timedelta(days=29, hours=23, minutes=59), NOW) == 29
    assert days_inactive(NOW - timedelta(days=30), NOW) == 30
    assert days_inactive(NOW - timedelta(days=60, hours=23), NOW) == 60


def test_days_across_time_zones_use_the_instant() -> None:
    # 04:00 on 26 October in Shanghai is 20:00 UTC on the 25th: 29 days 16 hours before NOW.
    shanghai = datetime(2026, 10, 26, 4, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert days_inactive(shanghai, NOW) == 29


def test_activity_in_the_future_counts_as_today() -> None:
    assert days_inactive(NOW + timedelta(hours=3), NOW) == 0


def test_naive_datetimes_are_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        days_inactive(datetime(2026, 1, 1), NOW)


def test_boundaries_follow_settings() -> None:
    settings = DormancySettings(light_from_days=14, light_to_days=45, medium_to_days=90)
    assert tier_for_days(13, settings) is DormancyTier.ACTIVE
    assert tier_for_days(14, settings) is DormancyTier.LIGHT
    assert tier_for_days(46, settings) is DormancyTier.MEDIUM
    assert tier_for_days(91, settings) is DormancyTier.HEAVY


def test_disordered_boundaries_are_rejected() -> None:
    with pytest.raises(ValidationError, match="light_to_days < medium_to_days"):
        DormancySettings(light_to_days=120, medium_to_days=120)
