from content import ContentRequest, ContentSettings, InMemoryCopyCache, write_copy


async def test_least_recently_used_copy_is_dropped_beyond_capacity() -> None:
    cache = InMemoryCopyCache(max_entries=2)
    settings = ContentSettings()
    request = ContentRequest(
        journey="welcome", stage="1", channel="inapp", template_id="welcome", locale="en"
    )
    result = await write_copy(request, None, None, None, settings)
    await cache.put("v", "a", result)
    await cache.put("v", "b", result)
    assert await cache.get("v", "a") == result  # "a" is now the most recently used
    await cache.put("v", "c", result)
    assert await cache.get("v", "b") is None
    assert await cache.get("v", "a") == result
    assert await cache.get("other-version", "a") is None
    assert len(cache) == 2
