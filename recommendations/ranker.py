"""Score the items a customer has not bought: co-purchase with their history, their categories,
and what is popular now, blended as the lab tuned it; every candidate carries its kind and reason.

    score(i) = popularity(i) * (1 + w_n * neighbours(i) / max neighbours + w_c * sqrt(share(c(i))))

`popularity` is the recency-weighted count of buyers (with the half-life the lab chose: 7 days in
recs-v1), `neighbours(i)` the sum of the links from the customer's items to i, `share(c)` the
share of the customer's purchases in category c. Popularity alone is the cold-start fallback.
"""

import heapq
import math
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from recommendations.history import Purchase
from recommendations.model import POPULAR, ItemInfo, Link, ModelSlice, category_source


class Kind(StrEnum):
    COMPLEMENT = "complement"  # goes with what the customer bought
    SUBSTITUTE = "substitute"  # same need: a family the customer buys, or an in-stock stand-in
    BUNDLE = "bundle"  # a frequent main item with a complement, priced by an offer
    POPULAR = "popular"  # nothing personal behind it: cold start or opt-out
    RESTOCK = "restock"  # a consumable the customer bought, due again by its repurchase cycle


class Reason(StrEnum):
    BOUGHT_WITH = "bought_with"  # anchor, share of the anchor's buyers, buyers
    IN_YOUR_CATEGORY = "in_your_category"  # category, share of the customer's purchases
    POPULAR = "popular"  # buyers
    IN_STOCK_ALTERNATIVE = "in_stock_alternative"  # replaces: the out-of-stock item
    TIME_TO_RESTOCK = "time_to_restock"  # days since bought, cycle days
    BUNDLE_OFFER = "bundle_offer"  # main item, share, offer id


@dataclass(frozen=True, slots=True)
class Candidate:
    product_id: str
    score: float
    kind: Kind
    reason: Reason
    figures: dict[str, str | float | int] = field(compare=False)
    info: ItemInfo = field(compare=False)
    support: int = 0  # co-buyers behind the strongest link: low support, unsure ranking
    about: bool = False  # bought with an item the message is about (`focus`), which it names


def score_new_items(
    model: ModelSlice,
    history: Sequence[Purchase],
    *,
    personalised: bool = True,
    limit: int | None = None,
    focus: Collection[str] = (),
) -> list[Candidate]:
    """The best `limit` candidates not in `history` (all when None), best first; ties go to the
    smaller product id, so every run agrees.

    `focus`: the items the message is about (a viewed product). The items bought with them come
    first, each naming its strongest link from them as its reason.
    Not `personalised`: the popular list alone, nothing read from the history or the focus.
    """
    if not personalised:
        history, focus = (), ()
    bought = {p.product_id for p in history}
    per_category = Counter(p.category for p in history)
    total = sum(per_category.values()) or 1
    shares = {c: n / total for c, n in per_category.items()}
    sums: dict[str, float] = {}
    anchors: dict[str, Link] = {}
    links = model.links
    for source in sorted(bought.union(focus)):
        for link in links.get(source, ()):
            target = link.target
            found = sums.get(target)
            if found is None:
                sums[target] = link.score
                anchors[target] = link
            else:
                sums[target] = found + link.score
                if link.score > anchors[target].score:
                    anchors[target] = link
    # A product bought with an item the message is about names that item as its reason,
    # whatever else in the history links to it more strongly.
    related: set[str] = set()
    for source in sorted(focus):
        for link in links.get(source, ()):
            target = link.target
            if target not in related or link.score > anchors[target].score:
                anchors[target] = link
                related.add(target)
    ids = set(sums)
    for source in (POPULAR, *(category_source(c) for c in per_category)):
        for link in links.get(source, ()):
            ids.add(link.target)
    ids -= bought.union(focus)
    weight_links = model.params.neighbour_weight / (max(sums.values(), default=0.0) or 1.0)
    # The category term of each category once, not per candidate.
    from_categories = {
        c: model.params.category_weight * math.sqrt(share) for c, share in shares.items()
    }
    items = model.items
    scored = []
    for product_id in ids:
        info = items.get(product_id)
        if info is None:
            continue
        from_links = weight_links * sums.get(product_id, 0.0)
        from_category = from_categories.get(info.category, 0.0)
        score = info.popularity * (1.0 + from_links + from_category)
        unrelated = product_id not in related  # the related ones first, within the limit
        by_links = not unrelated or from_links >= from_category
        scored.append((unrelated, -score, product_id, by_links, from_category, info))
    best_first = heapq.nsmallest(limit, scored) if limit is not None else sorted(scored)
    families = {p.family for p in history}
    return [
        _explain(
            model,
            -neg,
            info,
            anchors.get(pid),
            by_links,
            by_category,
            shares,
            families,
            not unrelated,
        )
        for unrelated, neg, pid, by_links, by_category, info in best_first
    ]


def _explain(
    model: ModelSlice,
    score: float,
    info: ItemInfo,
    link: Link | None,
    by_links: bool,
    by_category: float,
    shares: dict[str, float],
    families: set[str],
    about: bool,
) -> Candidate:
    """The candidate's kind and reason: its strongest link, else the customer's category, else
    its popularity. `about`: bought with an item the message is about, which its link names."""
    if link is not None and by_links:
        source = model.items.get(link.source)
        same_need = source is not None and source.family == info.family
        return Candidate(
            info.product_id,
            score,
            Kind.SUBSTITUTE if same_need else Kind.COMPLEMENT,
            Reason.BOUGHT_WITH,
            {"anchor": link.source, "share": round(link.share, 3), "buyers": link.source_buyers},
            info,
            link.co_buyers,
            about=about,
        )
    if by_category > 0:
        return Candidate(
            info.product_id,
            score,
            Kind.SUBSTITUTE if info.family in families else Kind.COMPLEMENT,
            Reason.IN_YOUR_CATEGORY,
            {"category": info.category, "share": round(shares[info.category], 3)},
            info,
            link.co_buyers if link else 0,
        )
    return Candidate(
        info.product_id, score, Kind.POPULAR, Reason.POPULAR, {"buyers": info.buyers}, info
    )
