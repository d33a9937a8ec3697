"""The search attributes journeys set are registered on a fresh namespace, once."""

from datetime import timedelta

from google.protobuf.duration_pb2 import Duration
from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.api.workflowservice.v1 import RegisterNamespaceRequest
from temporalio.testing import WorkflowEnvironment

from models.search_attributes import ALL
from ops.search_attributes import register_search_attributes
from tests.conftest import unique
from tests.ops.helpers import journeyctl


async def test_a_fresh_namespace_gets_every_search_attribute_once(
    temporal_env: WorkflowEnvironment,
) -> None:
    client = temporal_env.client
    namespace = unique("ns")
    retention = Duration()
    retention.FromTimedelta(timedelta(days=1))
    await client.workflow_service.register_namespace(
        RegisterNamespaceRequest(namespace=namespace, workflow_execution_retention_period=retention)
    )

    assert await register_search_attributes(client, namespace) == sorted(k.name for k in ALL)
    listed = await client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=namespace)
    )
    assert {k.name: int(k.indexed_value_type) for k in ALL}.items() <= dict(
        listed.custom_attributes
    ).items()

    env = {
        "TEMPORAL_ADDRESS": client.service_client.config.target_host,
        "TEMPORAL_NAMESPACE": namespace,
    }
    again = await journeyctl(env, "ops", "register-search-attributes", "--wait", "10")
    assert again.exit_code == 0, again.output
    assert "all search attributes were registered" in again.output
