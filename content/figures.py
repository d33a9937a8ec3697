"""Every price, discount and stock figure in a text against the sources of truth.

Pure: the caller passes the live catalog snapshots and the offer terms. Used on every generated
copy and again at send time with freshly read snapshots, so a price that changed since the copy
was written fails.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Literal

from catalog.models import ProductSnapshot
from content.picks import RecommendedPick
from content.reasons import CheckFailure, Reason
from content.request import OfferTerms
from models.benefits import BenefitKind

FigureKind = Literal["money", "percent", "stock"]
# What a money figure claims to be, read from the words around it: a coupon's minimum spend
# ("over ¥199", "满199"), its discount ("¥20 off", "减20", "20元优惠券"), or a price.
MoneyRole = Literal["minimum", "discount", "price"]

_NUM = r"(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
# Codes copy may write an amount with (slots use a symbol for CNY/USD/EUR/GBP, the code otherwise).
_CODES = r"(?:CNY|RMB|USD|EUR|GBP|HKD|MOP|TWD|JPY|KRW|SGD|AUD|CAD|CHF|NZD)"
_PATTERNS: list[tuple[FigureKind, re.Pattern[str]]] = [
    ("money", re.compile(rf"(?:[¥￥$€£]|\b{_CODES})\s*{_NUM}")),
    ("money", re.compile(rf"{_NUM}\s*-?\s*(?:元|块|(?:yuan|{_CODES}|dollars?)\b)", re.IGNORECASE)),
    ("money", re.compile(rf"满\s*{_NUM}(?![\d.]|\s*件)")),  # 满199减20 but not 满2件
    ("percent", re.compile(rf"{_NUM}\s*(?:%|％|percent\b)", re.IGNORECASE)),
    ("stock", re.compile(r"(?:only|just)\s+(\d+)\s+(?:left|remaining|in stock)", re.IGNORECASE)),
    (
        "stock",
        re.compile(
            r"(\d+)\s+(?:(?:pieces?|units?|items?)\s+left|left in stock|in stock|remaining|left)\b",
            re.IGNORECASE,
        ),
    ),
    ("stock", re.compile(r"\bstock\s*[:：]?\s*(\d+)", re.IGNORECASE)),
    ("stock", re.compile(r"(?:仅剩|只剩|还剩|剩余|仅余|库存)\s*(\d+)")),
]
# 折 states the share paid: 8折 / 8.5折 / 85折 / 八五折.
_UNIT = rf"(?:[¥￥$€£]|{_CODES}|元|块|yuan|dollars?)"
_MINIMUM_BEFORE = re.compile(
    r"(?:\b(?:over|above|exceeding|at least|min(?:imum)?(?:\s+spend)?(?:\s+of)?|"
    r"spend(?:ing)?(?:\s+of)?|(?:orders?|purchases?)\s+of)|满)\s*"
    rf"{_UNIT}?\s*$",
    re.IGNORECASE,
)
_MINIMUM_AFTER = re.compile(
    rf"^\s*{_UNIT}?\s*(?:\+|or more\b|and (?:above|up|over)\b|以上|及以上)", re.IGNORECASE
)
_DISCOUNT_BEFORE = re.compile(
    r"(?:\b(?:save|saving|(?:coupon|voucher)s?\s+(?:worth|of|for))|立减|减|省)\s*"
    rf"{_UNIT}?\s*$",
    re.IGNORECASE,
)
_DISCOUNT_AFTER = re.compile(
    rf"^\s*{_UNIT}?\s*(?:\boff\b|discount|coupon|voucher|savings?\b|的?(?:优惠券|代金券|券|红包|优惠(?!价)))",
    re.IGNORECASE,
)
_ZHE_DIGITS = re.compile(r"(\d+(?:\.\d+)?)\s*折")
_ZHE_CHINESE = re.compile(r"([一二两三四五六七八九])([一二三四五六七八九])?折")
_CHINESE_DIGIT = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"两": 2}


@dataclass(frozen=True)
class Figure:
    kind: FigureKind
    value: Decimal  # money amount, percent off, or units in stock
    text: str
    role: MoneyRole = "price"  # for money: what the words around it make it


def extract_figures(text: str) -> list[Figure]:
    """Price, discount and stock figures in reading order; overlapping matches count once."""
    found: list[tuple[int, int, Figure]] = []

    def add(start: int, end: int, figure: Figure) -> None:
        if all(end <= s or start >= e for s, e, _ in found):
            found.append((start, end, figure))

    for kind, pattern in _PATTERNS:
        for match in pattern.finditer(text):
            value = _decimal(match.group(1))
            if value is not None:
                role = _money_role(text, match) if kind == "money" else "price"
                add(match.start(), match.end(), Figure(kind, value, match.group(0), role))
    for match in _ZHE_DIGITS.finditer(text):
        paid = _decimal(match.group(1))
        if paid is not None:
            paid = paid * 10 if paid < 10 else paid
            add(match.start(), match.end(), Figure("percent", 100 - paid, match.group(0)))
    for match in _ZHE_CHINESE.finditer(text):
        tens, units = match.group(1), match.group(2)
        paid = Decimal(_CHINESE_DIGIT[tens] * 10 + (_CHINESE_DIGIT[units] if units else 0))
        add(match.start(), match.end(), Figure("percent", 100 - paid, match.group(0)))
    return [figure for _, _, figure in sorted(found, key=lambda f: f[0])]


def check_figures(
    text: str,
    items: Sequence[ProductSnapshot],
    offer: OfferTerms | None,
    picks: Sequence[RecommendedPick] = (),
) -> list[CheckFailure]:
    """Fail every figure that is not a live price/stock of an item in context, a term of the
    offer, or a pick's live price, bundle price or share of buyers. A figure that could belong
    to an item the catalog could not confirm is 'unverifiable'."""
    prices = {item.price for item in items if item.price is not None}
    prices |= {p.price for p in picks if p.price is not None}
    prices |= {p.bundle_price for p in picks if p.bundle_price is not None}
    stocks = {Decimal(item.stock) for item in items if item.stock is not None}
    any_unknown = any(not item.known for item in items)
    minimums: set[Decimal] = set()
    discounts: set[Decimal] = set()
    percents: set[Decimal] = set()
    if offer is not None:
        if offer.min_spend is not None:
            minimums.add(offer.min_spend)
        if offer.kind is BenefitKind.AMOUNT_OFF and offer.value is not None:
            discounts.add(offer.value)
        if offer.kind is BenefitKind.PERCENT_OFF and offer.value is not None:
            percents.add(offer.value)
    percents |= {p.share_percent for p in picks if p.share_percent is not None}
    names = [item.name for item in items] + [p.name for p in picks]
    names += [p.anchor_name for p in picks if p.anchor_name]

    failures: list[CheckFailure] = []
    for figure in extract_figures(_without_names(text, names)):
        if figure.kind == "money" and figure.role == "minimum" and figure.value not in minimums:
            failures.append(_misstated(figure, "minimum spend", minimums, offer))
        elif figure.kind == "money" and figure.role == "discount" and figure.value not in discounts:
            failures.append(_misstated(figure, "discount", discounts, offer))
        elif (
            figure.kind == "money"
            and figure.role == "price"
            and figure.value not in (prices | discounts)
        ):
            # A bare minimum spend is no price, nor what the coupon is worth ("你还有199元").
            reason = Reason.PRICE_UNVERIFIABLE if any_unknown else Reason.PRICE_MISMATCH
            failures.append(CheckFailure(reason=reason, detail=_detail(figure, prices)))
        elif figure.kind == "percent" and figure.value not in percents:
            failures.append(
                CheckFailure(reason=Reason.DISCOUNT_MISMATCH, detail=_detail(figure, percents))
            )
        elif figure.kind == "stock" and figure.value not in stocks:
            reason = Reason.STOCK_UNVERIFIABLE if any_unknown else Reason.STOCK_MISMATCH
            failures.append(CheckFailure(reason=reason, detail=_detail(figure, stocks)))
    return failures


def _without_names(text: str, names: Sequence[str]) -> str:
    """The text with the catalog's product names blanked: a name is the catalog's words, not a
    claim of ours ("JUICE (100% JUICE)" states no discount). Longest first, so a name inside
    another is not blanked alone; a name needs a letter, so no name can hide a bare figure."""
    for name in sorted({n for n in names if any(c.isalpha() for c in n)}, key=len, reverse=True):
        text = text.replace(name, " " * len(name))
    return text


def _money_role(text: str, match: re.Match[str]) -> MoneyRole:
    """What the words just before and after an amount make it. 满 before it is a minimum even
    inside the match ("满199")."""
    before = text[max(0, match.start(1) - 30) : match.start(1)]
    after = text[match.end(1) : match.end(1) + 16]
    if _MINIMUM_BEFORE.search(before) or _MINIMUM_AFTER.search(after):
        return "minimum"
    if _DISCOUNT_BEFORE.search(before) or _DISCOUNT_AFTER.search(after):
        return "discount"
    return "price"


def _misstated(
    figure: Figure, term: str, allowed: set[Decimal], offer: OfferTerms | None
) -> CheckFailure:
    """An amount stated as the offer's `term` that is not that term (the coupon's minimum spend
    written as its value, a price written as the minimum): the customer would misread the
    offer."""
    truth = ", ".join(sorted(f"{v.normalize():f}" for v in allowed)) or "none"
    minimum = offer.min_spend if offer is not None else None
    hint = (
        f"; {minimum.normalize():f} is the minimum spend, state it as such (over / 满)"
        if minimum is not None and figure.value == minimum
        else ""
    )
    return CheckFailure(
        reason=Reason.DISCOUNT_MISMATCH,
        detail=f"{figure.text!r} is stated as the offer's {term}, which is {truth}{hint}",
    )


def _detail(figure: Figure, allowed: set[Decimal]) -> str:
    expected = ", ".join(sorted(f"{v.normalize():f}" for v in allowed)) or "none"
    return f"{figure.kind} figure {figure.text!r} matches no source of truth (allowed: {expected})"


def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text.replace(",", ""))
    except InvalidOperation:
        return None
