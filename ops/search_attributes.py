"""Registering the custom search attributes journeys set (models/search_attributes.py) on a
Temporal namespace: the dev server gets them on its command line, a cluster through this."""

import asyncio

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.client import Client

from models.search_attributes import ALL
from settings import Settings
from temporal_client import connect_temporal


async def register_search_attributes(client: Client, namespace: str) -> list[str]:
    """Add the attributes the namespace lacks; return their names (empty: all were there).

    An attribute registered with another type is an error: journeys would fail to upsert it.
    """
    listed = await client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=namespace)
    )
    existing = dict(listed.custom_attributes)
    wrong = [
        key.name
        for key in ALL
        if key.name in existing and existing[key.name] != int(key.indexed_value_type)
    ]
    if wrong:
        raise ValueError(f"registered with another type: {', '.join(wrong)}")
    missing = {
        key.name: IndexedValueType.ValueType(int(key.indexed_value_type))
        for key in ALL
        if key.name not in existing
    }
    if missing:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(namespace=namespace, search_attributes=missing)
        )
    return sorted(missing)


async def connect_when_ready(settings: Settings, timeout: float) -> Client:
    """Connect, retrying until the frontend answers (a cluster may still be starting)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        try:
            client = await connect_temporal(settings)
            if await client.service_client.check_health():
                return client
        except Exception:  # noqa: BLE001 - not up yet; the deadline decides
            pass
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"Temporal did not answer within {timeout:.0f} s")
        await asyncio.sleep(1)
