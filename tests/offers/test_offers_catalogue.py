import json
from pathlib import Path

import pytest

from dormancy.labels import DormancyReason, DormancyTier
from offers.catalogue import CatalogueError, OfferKind, load_catalogue

SHIPPED = json.loads((Path(__file__).parents[2] / "offers" / "catalogue.json").read_text())


def test_shipped_catalogue_loads_and_finds_offers_by_id() -> None:
    catalogue = load_catalogue()
    ids = [offer.offer_id for offer in catalogue.offers]
    assert len(ids) == len(set(ids))
    coupon = catalogue.get("WB_COUPON_10")
    assert coupon.kind is OfferKind.MONETARY and coupon.cost_cny == 10.0
    with pytest.raises(KeyError, match="NO_SUCH_OFFER"):
        catalogue.get("NO_SUCH_OFFER")


def test_every_dormant_tier_and_reason_has_an_offer_and_service_a_non_monetary_one() -> None:
    catalogue = load_catalogue()
    for reason in DormancyReason:
        for tier in (DormancyTier.LIGHT, DormancyTier.MEDIUM, DormancyTier.HEAVY):
            suited = [offer for offer in catalogue.offers if offer.suits(reason, tier)]
            assert suited, (reason, tier)
            if reason is DormancyReason.SERVICE:
                assert any(offer.kind is OfferKind.NON_MONETARY for offer in suited)


def write(tmp_path: Path, content: object) -> Path:
    path = tmp_path / "catalogue.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


def with_first_offer(**changes: object) -> dict:
    offers = [dict(SHIPPED["offers"][0], **changes), *SHIPPED["offers"][1:]]
    return {**SHIPPED, "offers": offers}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"version": "1", "offers": [', "not valid JSON"),
        ({"version": "1", "offers": []}, "offers"),
        (
            {**SHIPPED, "offers": [SHIPPED["offers"][0], SHIPPED["offers"][0]]},
            "duplicate offer_id: WB_COUPON_5",
        ),
        (with_first_offer(cost_cny=-1), "cost_cny"),
        (with_first_offer(cost_cny=0), "a monetary offer must have a cost"),
        (with_first_offer(kind="cashback"), "kind"),
        (with_first_offer(valid_until="2025-01-01T00:00:00+08:00"), "valid_until must be after"),
        (with_first_offer(valid_from="2026-01-01T00:00:00"), "timezone"),
        (with_first_offer(discount_pct=50), "discount_pct"),
        (with_first_offer(tiers=[]), "both reasons and tiers"),
        (with_first_offer(tiers=["active"]), "dormant tiers"),
        (with_first_offer(journeys=["welcome"]), "'winback' journey"),
        (with_first_offer(offer_id="bad id"), "offer_id"),
    ],
)
def test_a_bad_file_fails_with_a_clear_error(tmp_path: Path, content: object, message: str) -> None:
    path = write(tmp_path, content)
    with pytest.raises(CatalogueError) as error:
        load_catalogue(path)
    assert str(path) in str(error.value)
    assert message in str(error.value)


def test_a_missing_file_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match="cannot read offer catalogue .*missing.json"):
        load_catalogue(tmp_path / "missing.json")
