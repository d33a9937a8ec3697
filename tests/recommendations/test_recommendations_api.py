"""GET /v1/customers/{id}/recommendations and the opt-out, through the API on both databases:
the picks follow the events the customer sent."""

from datetime import UTC, datetime

from recommendations.tables import load_model_tables
from tests.conftest import Stack, unique
from tests.recommendations.model_builder import tiny_model


async def customer_who_viewed(api: Stack, sku: str) -> str:
    customer_id = unique("c")
    assert (await api.http.put(f"/v1/customers/{customer_id}", json={})).status_code == 200
    event = {
        "event_id": unique("e"),
        "customer_id": customer_id,
        "type": "product_viewed",
        "occurred_at": datetime.now(UTC).isoformat(),
        "properties": {"sku": sku},
    }
    assert (await api.http.post("/v1/events", json=event)).status_code == 202
    return customer_id


async def test_picks_follow_what_the_customer_viewed_and_the_opt_out(api: Stack) -> None:
    await load_model_tables(api.sessions, tiny_model(unique("tiny")), datetime.now(UTC))
    cereal = await customer_who_viewed(api, "cereal")
    chips = await customer_who_viewed(api, "chips")
    url = f"/v1/customers/{cereal}/recommendations"
    response = await api.http.get(url, params={"journey": "browse_abandonment", "k": 4})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["personalised"] and body["objective"] == "related"
    # A slot may explore (15 %, seeded by customer and day): the first exploited one is the best
    # of what is left. One product of milk's family is shown (no two of a family): milk itself,
    # unless an exploring slot took the family (oat or skim milk), and then the next link from
    # cereal.
    picks = body["picks"]
    milk_family = [p for p in picks if p["product_id"] in ("milk", "oatmilk", "skimmilk")]
    assert len(milk_family) == 1, picks
    first = next(p for p in picks if not p["explored"])
    if not milk_family[0]["explored"]:
        assert (first["product_id"], first["kind"], first["reason_code"]) == (
            "milk",
            "complement",
            "bought_with",
        )
        assert first["figures"] == {"anchor": "cereal", "share": 0.8, "buyers": 50}
    else:
        assert (first["product_id"], first["reason_code"]) == ("bananas", "bought_with"), picks
    other = await api.http.get(
        f"/v1/customers/{chips}/recommendations", params={"journey": "browse_abandonment", "k": 4}
    )
    assert [p["product_id"] for p in other.json()["picks"]] != [
        p["product_id"] for p in body["picks"]
    ]
    cross_sell = (await api.http.get(url, params={"journey": "cross_sell"})).json()
    assert cross_sell["picks"][0]["kind"] == "bundle"
    assert cross_sell["picks"][0]["offer_id"] == "BUNDLE_COMPLEMENT_10"

    off = await api.http.put(f"{url}/preference", json={"personalised": False})
    assert off.status_code == 200 and off.json() == {"personalised": False}
    body = (await api.http.get(url, params={"journey": "browse_abandonment"})).json()
    assert not body["personalised"]
    assert {(p["kind"], p["reason_code"]) for p in body["picks"]} == {("popular", "popular")}


async def test_unknown_customer_journey_and_missing_key_are_refused(api: Stack) -> None:
    known = await customer_who_viewed(api, "cereal")
    unknown = await api.http.get(
        f"/v1/customers/{unique('c')}/recommendations", params={"journey": "welcome"}
    )
    assert unknown.status_code == 404
    assert unknown.json()["detail"][0]["field"] == "customer_id"
    bad = await api.http.get(
        f"/v1/customers/{known}/recommendations", params={"journey": "no_such"}
    )
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["field"] == "journey"
    anonymous = await api.http.get(
        f"/v1/customers/{known}/recommendations",
        params={"journey": "welcome"},
        headers={"Authorization": ""},
    )
    assert anonymous.status_code == 401
    preference = await api.http.put(
        f"/v1/customers/{unique('c')}/recommendations/preference", json={"personalised": False}
    )
    assert preference.status_code == 404
