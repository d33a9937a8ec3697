"""What the ranker picks for a history, and the kind and reason it gives each pick."""

from recommendations.history import Purchase
from recommendations.ranker import Kind, Reason, score_new_items
from tests.recommendations.model_builder import ITEMS, tiny_model


def bought(*product_ids: str) -> list[Purchase]:
    return [Purchase(p, ITEMS[p][1], ITEMS[p][2]) for p in product_ids]


def test_cereal_buyers_get_milk_for_its_co_purchase_with_the_figures() -> None:
    picks = score_new_items(tiny_model(), bought("cereal"), limit=3)
    first = picks[0]
    assert first.product_id == "milk"
    assert (first.kind, first.reason) == (Kind.COMPLEMENT, Reason.BOUGHT_WITH)
    # 40 of cereal's 50 buyers bought milk too.
    assert first.figures == {"anchor": "cereal", "share": 0.8, "buyers": 50}
    assert "cereal" not in [p.product_id for p in score_new_items(tiny_model(), bought("cereal"))]


def test_the_history_changes_the_picks() -> None:
    after_cereal = [p.product_id for p in score_new_items(tiny_model(), bought("cereal"), limit=3)]
    after_chips = [p.product_id for p in score_new_items(tiny_model(), bought("chips"), limit=3)]
    assert after_cereal != after_chips
    assert "chips" not in after_chips


def test_same_family_from_a_link_or_a_category_is_a_substitute() -> None:
    picks = {p.product_id: p for p in score_new_items(tiny_model(), bought("milk"))}
    assert picks["oatmilk"].kind is Kind.SUBSTITUTE  # the customer buys white milk already
    assert picks["oatmilk"].reason is Reason.IN_YOUR_CATEGORY
    assert picks["oatmilk"].figures == {"category": "MILK", "share": 1.0}


def test_cold_start_and_opt_out_rank_by_popularity_alone() -> None:
    model = tiny_model()
    cold = score_new_items(model, [], limit=4)
    assert [p.product_id for p in cold] == ["milk", "bananas", "cereal", "chips"]
    assert {(p.kind, p.reason) for p in cold} == {(Kind.POPULAR, Reason.POPULAR)}
    opted_out = score_new_items(model, bought("cereal"), personalised=False, limit=4)
    assert opted_out == cold  # the history is not read: even what they bought may come back
