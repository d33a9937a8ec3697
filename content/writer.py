"""The content step: live figures in, checked copy out, and never an exception for a journey.

Order of trust: LLM copy that passes every check; else one retry with the failed checks in the
prompt; else the deterministic template for the stage and channel.
"""

import asyncio
import hashlib

import structlog

from catalog.client import CatalogClient
from catalog.models import ProductSnapshot, unknown_product
from content.cache import CopyCache
from content.checks import check_copy, check_llm_copy, parse_copy
from content.copy_text import Attempt, Copy, CopyPath, CopyResult
from content.fallback import fallback_version, render_fallback
from content.figures import check_figures
from content.llm import LLMClient, LLMError
from content.output_schema import copy_schema
from content.placeholders import PERSONAL_PLACEHOLDERS, placeholders_in
from content.prompts import build_messages, prompt_version, retry_messages
from content.reasons import CheckFailure, CheckResult, Reason
from content.request import VARIANTS, ContentRequest, OfferTerms, Variant
from content.settings import ContentSettings
from content.tone import without_promotion
from telemetry import metrics

log = structlog.get_logger(__name__)


async def write_copy(
    request: ContentRequest,
    llm: LLMClient | None,
    catalog: CatalogClient | None,
    cache: CopyCache | None,
    settings: ContentSettings,
) -> CopyResult:
    """Checked copy for one message. Reuses cached copy for the same versions and context.

    Without an LLM the copy is the template, rendered from the live figures: that costs less
    than a cache lookup, and nothing is cached then."""
    live = await with_live_items(without_promotion(request), catalog)
    version = cache_version(live, settings)
    key = context_hash(live)
    if llm is None or not llm.configured:
        cache = None
    if cache is not None:
        cached = await cache.get(version, key)
        if cached is not None:
            log.info("content.cache_hit", template_id=live.template_id, context_hash=key)
            return cached.model_copy(update={"from_cache": True})
    result = await _generate(live, llm, settings, key)
    if cache is not None:
        await cache.put(version, key, result)
    log.info(
        "content.written",
        template_id=live.template_id,
        channel=live.channel.value,
        variant=live.variant,
        path=result.path,
        reasons=[r.value for r in result.reasons],
        checks_ok=result.checks.ok,
        content_hash=result.content_hash,
    )
    return result


async def write_variants(
    request: ContentRequest,
    llm: LLMClient | None,
    catalog: CatalogClient | None,
    cache: CopyCache | None,
    settings: ContentSettings,
) -> dict[Variant, CopyResult]:
    """Both variants (rational and emotional) of one message, for the experiment to pick from."""
    results = await asyncio.gather(
        *(
            write_copy(request.model_copy(update={"variant": v}), llm, catalog, cache, settings)
            for v in VARIANTS
        )
    )
    return dict(zip(VARIANTS, results, strict=True))


async def recheck_at_send(
    result: CopyResult, catalog: CatalogClient | None, offer: OfferTerms | None
) -> CheckResult:
    """Re-read the catalog (bypassing its cache) and the offer, and check every figure again.

    Not ok means the copy must not go out as it is: call write_copy again, which now sees the
    fresh figures (or the degraded wording if the catalog is down)."""
    skus = [item.sku for item in result.items]
    fresh = await catalog.get_many(skus, fresh=True) if catalog is not None and skus else {}
    items = [fresh.get(sku) or unknown_product(sku) for sku in skus]
    # The picks' prices were read fresh by the send path for this very message.
    return CheckResult(
        failures=check_figures(result.content.full_text(), items, offer, result.picks)
    )


async def with_live_items(request: ContentRequest, catalog: CatalogClient | None) -> ContentRequest:
    """The request with each item's figures replaced by the live catalog's (or unknown)."""
    if not request.recent_items:
        return request
    skus = [item.sku for item in request.recent_items]
    live = await catalog.get_many(skus) if catalog is not None else {}
    items = [_merge(item, live.get(item.sku)) for item in request.recent_items]
    return request.model_copy(update={"recent_items": items})


def context_hash(request: ContentRequest) -> str:
    return hashlib.sha256(request.model_dump_json().encode()).hexdigest()


def cache_version(request: ContentRequest, settings: ContentSettings) -> str:
    return f"{prompt_version(settings)}+{fallback_version(request)}"


async def _generate(
    request: ContentRequest, llm: LLMClient | None, settings: ContentSettings, key: str
) -> CopyResult:
    attempts: list[Attempt] = []
    if llm is None or not llm.configured:
        not_configured = CheckFailure(reason=Reason.LLM_NOT_CONFIGURED, detail="templates only")
        attempts.append(Attempt(path="llm", failures=[not_configured]))
    else:
        messages = build_messages(request, settings)
        max_tokens = settings.llm.max_tokens.for_channel(request.channel)
        schema = copy_schema(request, settings)
        path: CopyPath
        for path in ("llm", "llm_retry"):
            try:
                answer = await llm.complete(messages, max_tokens=max_tokens, schema=schema)
            except LLMError as exc:
                attempts.append(Attempt(path=path, failures=[exc.failure]))
                break
            parsed = parse_copy(answer)
            if isinstance(parsed, CheckFailure):
                failures = [parsed]
            else:
                copy, checks = check_llm_copy(parsed, request, settings)
                if checks.ok:
                    metrics.llm_copy.labels("passed").inc()
                    return _result(request, copy, path, attempts, checks, settings, key, llm.model)
                failures = checks.failures
            metrics.llm_copy.labels(failures[0].reason.value).inc()
            attempts.append(Attempt(path=path, failures=failures))
            messages = retry_messages(messages, answer, failures, settings)
    copy, checks = check_copy(render_fallback(request, settings), request, settings)
    if not checks.ok:
        log.error(
            "content.template_failed_checks",
            template_id=request.template_id,
            channel=request.channel.value,
            reasons=[r.value for r in checks.reasons],
        )
    return _result(request, copy, "template", attempts, checks, settings, key, None)


def _result(
    request: ContentRequest,
    copy: Copy,
    path: CopyPath,
    attempts: list[Attempt],
    checks: CheckResult,
    settings: ContentSettings,
    key: str,
    model: str | None,
) -> CopyResult:
    return CopyResult(
        content=copy,
        path=path,
        attempts=attempts,
        checks=checks,
        template_id=request.template_id,
        template_version=(
            fallback_version(request) if path == "template" else prompt_version(settings)
        ),
        variant=request.variant,
        channel=request.channel,
        locale=request.locale,
        model=model,
        items=request.recent_items,
        picks=request.picks,
        personal_placeholders=sorted(
            placeholders_in(copy.full_text()) & set(PERSONAL_PLACEHOLDERS)
        ),
        context_hash=key,
        content_hash=copy.content_hash(),
    )


def _merge(item: ProductSnapshot, live: ProductSnapshot | None) -> ProductSnapshot:
    if live is None or not live.known:
        return unknown_product(item.sku, name=item.name, category=item.category)
    return live.model_copy(
        update={"name": live.name or item.name, "category": live.category or item.category}
    )
