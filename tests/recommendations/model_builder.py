"""A small hand-made model whose links are easy to reason about in tests."""

from recommendations.model import (
    POPULAR,
    ItemInfo,
    Link,
    ModelSlice,
    RankingParams,
    bundle_source,
    category_source,
)

#           department  category    family          price popularity buyers cycle_days
ITEMS = {
    "milk": ("DAIRY", "MILK", "WHITE MILK", 1.20, 1.00, 100, 7.0),
    "oatmilk": ("DAIRY", "MILK", "WHITE MILK", 2.50, 0.30, 20, None),
    "skimmilk": ("DAIRY", "MILK", "WHITE MILK", 1.30, 0.10, 8, None),
    "yogurt": ("DAIRY", "YOGURT", "YOGURT CUPS", 0.90, 0.50, 40, None),
    "cereal": ("GROCERY", "CEREAL", "KIDS CEREAL", 3.00, 0.80, 50, None),
    "granola": ("GROCERY", "CEREAL", "GRANOLA", 4.50, 0.20, 15, None),
    "bananas": ("PRODUCE", "FRUIT", "BANANAS", 0.60, 0.90, 90, None),
    "strawberries": ("PRODUCE", "BERRIES", "STRAWBERRIES", 3.50, 0.50, 45, None),
    "chips": ("GROCERY", "SNACKS", "POTATO CHIPS", 2.00, 0.70, 60, None),
    "candles": ("HOME", "CANDLES", "CANDLES", 6.00, 0.60, 30, None),
}
#        source    target          score co-buyers
LINKS = [
    ("cereal", "milk", 0.50, 40),
    ("cereal", "granola", 0.40, 6),
    ("cereal", "bananas", 0.30, 20),
    ("milk", "cereal", 0.50, 40),
    ("milk", "bananas", 0.45, 70),
    ("chips", "candles", 0.10, 3),
]


def tiny_model(version: str = "tiny-1") -> ModelSlice:
    items = {pid: ItemInfo(pid, *facts) for pid, facts in ITEMS.items()}
    links: dict[str, list[Link]] = {}
    for source, target, score, co in LINKS:
        links.setdefault(source, []).append(Link(source, target, score, co, items[source].buyers))
    by_popularity = sorted(items.values(), key=lambda i: (-i.popularity, i.product_id))
    links[POPULAR] = [Link(POPULAR, i.product_id, 0.0, 0, 0) for i in by_popularity]
    for info in by_popularity:
        source = category_source(info.category)
        links.setdefault(source, []).append(Link(source, info.product_id, 0.0, 0, 0))
    links[bundle_source("cereal")] = [
        Link(bundle_source("cereal"), "strawberries", 0.2, 12, items["cereal"].buyers)
    ]
    return ModelSlice(
        version, RankingParams(neighbour_weight=2.0, category_weight=2.0), links, items
    )
