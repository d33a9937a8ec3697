"""From ranked candidates to a message's picks: the journey's objective, diversity, exploration
and the exclusions (recent picks, items already in the message).

Exploration: each slot explores with probability `explore_rate` (15 %: the plan's 10-20 % of
slots), drawn from a generator seeded by the message id, so a retried send picks the same items.
An exploring slot takes an item the ranker is unsure of: one ranked just below the exploited
picks whose strongest link rests on few co-buyers, and never one that would push an exploited
pick out (its family, or its category's last place).
"""

import hashlib
import itertools
import math
import random
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from recommendations.ranker import Candidate, Kind, Reason


class Objective(StrEnum):
    ADD_TO_CART = "add_to_cart"  # the likeliest purchases
    RELATED = "related"  # bought with what the message is about first, then the likeliest
    CROSS_PURCHASE = "cross_purchase"  # categories the customer has not bought from
    NOVELTY = "novelty"  # less of what everyone buys
    MARGIN = "margin"  # expected sales value (no cost data: the unit price stands in)


@dataclass(frozen=True)
class PickRules:
    per_category: int = 2
    explore_rate: float = 0.15
    explore_pool: int = 30  # how far below the exploited picks an exploring slot looks
    unsure_below: int = 10  # co-buyers under which a link is weak evidence


DEFAULT_RULES = PickRules()


@dataclass(frozen=True, slots=True)
class Pick:
    rank: int
    product_id: str
    kind: Kind
    reason: Reason
    figures: dict[str, str | float | int] = field(compare=False)
    category: str
    family: str
    reference_price: float  # the training baskets' unit price; the live catalog's wins at send
    explored: bool = False
    offer_id: str | None = None  # bundles: the offer that prices them


def objective_score(candidate: Candidate, objective: Objective, categories: set[str]) -> float:
    match objective:
        case Objective.ADD_TO_CART | Objective.RELATED:
            return candidate.score
        case Objective.CROSS_PURCHASE:
            return candidate.score * (2.0 if candidate.info.category not in categories else 1.0)
        case Objective.NOVELTY:
            return candidate.score / math.sqrt(max(candidate.info.popularity, 1e-6))
        case Objective.MARGIN:
            return candidate.score * candidate.info.price


def choose_picks(
    candidates: Sequence[Candidate],
    k: int,
    *,
    objective: Objective = Objective.ADD_TO_CART,
    seed: str,
    exclude: Iterable[str] = (),
    categories: Iterable[str] = (),
    rules: PickRules = DEFAULT_RULES,
) -> list[Pick]:
    """Up to k picks, no item twice, no two of one family, at most `per_category` per category."""
    known = set(categories)
    excluded = set(exclude)
    # Candidates bought with what the message is about first (only a related objective's
    # ranking marks any).
    ordered = sorted(
        (c for c in candidates if c.product_id not in excluded),
        key=lambda c: (not c.about, -objective_score(c, objective, known), c.product_id),
    )
    rng = random.Random(hashlib.sha256(seed.encode()).digest())
    chosen: list[tuple[Candidate, bool]] = []
    families: set[str] = set()
    per_category: Counter[str] = Counter()

    def fits(candidate: Candidate) -> bool:
        return (
            candidate.info.family not in families
            and per_category[candidate.info.category] < rules.per_category
            and all(c.product_id != candidate.product_id for c, _ in chosen)
        )

    for _slot in range(k):
        explore = rng.random() < rules.explore_rate
        eligible = (c for c in ordered if fits(c))
        pick = next(eligible, None)
        if pick is None:
            break
        explored = False
        if explore:
            # Below the picks still to exploit (this one and the next slots'): the next
            # `explore_pool` eligible candidates that take none of their places, so exploring
            # costs this slot alone (not a family or a category's last place of a better pick).
            still = k - len(chosen) - 1
            ahead = [pick, *itertools.islice(eligible, max(still - 1, 0))][:still]
            taken = {c.info.family for c in ahead}
            kept = per_category + Counter(c.info.category for c in ahead)
            below = [
                c
                for c in itertools.islice(eligible, rules.explore_pool)
                if c.info.family not in taken and kept[c.info.category] < rules.per_category
            ]
            unsure = [c for c in below if c.support < rules.unsure_below] or below
            if unsure:
                pick, explored = rng.choice(unsure), True
        chosen.append((pick, explored))
        families.add(pick.info.family)
        per_category[pick.info.category] += 1
    return [
        Pick(
            rank,
            c.product_id,
            c.kind,
            c.reason,
            c.figures,
            c.info.category,
            c.info.family,
            c.info.price,
            explored,
        )
        for rank, (c, explored) in enumerate(chosen, start=1)
    ]
