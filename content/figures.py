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

_NUM = r"(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
# Codes copy may write an amount with (slots use a symbol for CNY/USD/EUR/GBP, the code otherwise).
_CODES = r"(?:CNY|RMB|USD|EUR|GBP|HKD|MOP|TWD|JPY|KRW|SGD|AUD|CAD|CHF|NZD)"
_PATTERNS: list[tuple[FigureKind, re.Pattern[str]]] = [
    ("money", re.compile(rf"(?:[¥￥$€£]|\b{_CODES})\s*{_NUM}")),
    ("money", re.compile(rf"{_NUM}\s*(?:元|块|(?:yuan|{_CODES}|dollars?)\b)", re.IGNORECASE)),
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
_ZHE_DIGITS = re.compile(r"(\d+(?:\.\d+)?)\s*折")
_ZHE_CHINESE = re.compile(r"([一二两三四五六七八九])([一二三四五六七八九])?折")
_CHINESE_DIGIT = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"两": 2}


@dataclass(frozen=True)
class Figure:
    kind: FigureKind
    value: Decimal  # money amount, percent off, or units in stock
    text: str


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
                add(match.start(), match.end(), Figure(kind, value, match.group(0)))
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
    offer_amounts: set[Decimal] = set()
    percents: set[Decimal] = set()
    if offer is not None:
        if offer.min_spend is not None:
            offer_amounts.add(offer.min_spend)
        if offer.kind is BenefitKind.AMOUNT_OFF and offer.value is not None:
            offer_amounts.add(offer.value)
        if offer.kind is BenefitKind.PERCENT_OFF and offer.value is not None:
            percents.add(offer.value)
    percents |= {p.share_percent for p in picks if p.share_percent is not None}

    failures: list[CheckFailure] = []
    for figure in extract_figures(text):
        if figure.kind == "money" and figure.value not in prices | offer_amounts:
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


def _detail(figure: Figure, allowed: set[Decimal]) -> str:
    expected = ", ".join(sorted(f"{v.normalize():f}" for v in allowed)) or "none"
    return f"{figure.kind} figure {figure.text!r} matches no source of truth (allowed: {expected})"


def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text.replace(",", ""))
    except InvalidOperation:
        return None
