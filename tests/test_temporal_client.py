"""The processes reach Temporal the standard way (temporalio.envconfig): address, namespace,
API key and TLS from TEMPORAL_* variables or a temporal.toml profile. TLS is tested for real:
a TLS-terminating proxy (tests/tls_proxy.py) in front of the session's dev server, with a
certificate of our own CA, and a client certificate for mTLS."""

from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from settings import Settings
from temporal_client import connect_config, connect_temporal
from tests.tls_proxy import TlsProxy, make_pki

TEMPORAL_VARIABLES = (
    "TEMPORAL_ADDRESS",
    "TEMPORAL_NAMESPACE",
    "TEMPORAL_API_KEY",
    "TEMPORAL_PROFILE",
    "TEMPORAL_CONFIG_FILE",
    "TEMPORAL_TLS",
    "TEMPORAL_TLS_SERVER_CA_CERT_PATH",
    "TEMPORAL_TLS_CLIENT_CERT_PATH",
    "TEMPORAL_TLS_CLIENT_KEY_PATH",
    "TEMPORAL_TLS_SERVER_NAME",
)


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    for name in TEMPORAL_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    # No profile file of the machine's user leaks in.
    monkeypatch.setenv("TEMPORAL_CONFIG_FILE", str(tmp_path / "absent.toml"))
    return monkeypatch


def upstream(env: WorkflowEnvironment) -> str:
    return env.client.service_client.config.target_host


async def test_mtls_profile_from_a_temporal_toml(
    temporal_env: WorkflowEnvironment, tmp_path: Path, clean_env: pytest.MonkeyPatch
) -> None:
    pki = make_pki(tmp_path)
    async with TlsProxy(pki, upstream(temporal_env), require_client_cert=True) as proxy:
        profile = tmp_path / "temporal.toml"
        profile.write_text(
            "[profile.production]\n"
            f'address = "{proxy.address}"\n'
            'namespace = "default"\n'
            "[profile.production.tls]\n"
            f'server_ca_cert_path = "{pki.ca}"\n'
            f'client_cert_path = "{pki.client_cert}"\n'
            f'client_key_path = "{pki.client_key}"\n'
            'server_name = "localhost"\n'
        )
        clean_env.setenv("TEMPORAL_CONFIG_FILE", str(profile))
        clean_env.setenv("TEMPORAL_PROFILE", "production")
        client = await connect_temporal(Settings())
        assert client.service_client.config.target_host == proxy.address
        assert await client.service_client.check_health()
        await client.count_workflows()  # a real call through the TLS tunnel
        assert proxy.handshakes >= 1


async def test_mtls_from_environment_variables_and_a_refused_client_without_certificate(
    temporal_env: WorkflowEnvironment, tmp_path: Path, clean_env: pytest.MonkeyPatch
) -> None:
    pki = make_pki(tmp_path)
    async with TlsProxy(pki, upstream(temporal_env), require_client_cert=True) as proxy:
        clean_env.setenv("TEMPORAL_ADDRESS", proxy.address)
        clean_env.setenv("TEMPORAL_TLS_SERVER_CA_CERT_PATH", str(pki.ca))
        clean_env.setenv("TEMPORAL_TLS_SERVER_NAME", "localhost")
        # No client certificate: the handshake is refused.
        with pytest.raises(RuntimeError, match="(?i)tls|transport"):
            await connect_temporal(Settings())

        clean_env.setenv("TEMPORAL_TLS_CLIENT_CERT_PATH", str(pki.client_cert))
        clean_env.setenv("TEMPORAL_TLS_CLIENT_KEY_PATH", str(pki.client_key))
        client = await connect_temporal(Settings())
        assert await client.service_client.check_health()


async def test_a_server_certificate_from_another_ca_is_refused(
    temporal_env: WorkflowEnvironment, tmp_path: Path, clean_env: pytest.MonkeyPatch
) -> None:
    (tmp_path / "ours").mkdir()
    (tmp_path / "theirs").mkdir()
    ours, theirs = make_pki(tmp_path / "ours"), make_pki(tmp_path / "theirs")
    async with TlsProxy(theirs, upstream(temporal_env), require_client_cert=False) as proxy:
        clean_env.setenv("TEMPORAL_ADDRESS", proxy.address)
        clean_env.setenv("TEMPORAL_TLS_SERVER_CA_CERT_PATH", str(ours.ca))
        with pytest.raises(RuntimeError, match="InvalidCertificate"):
            await connect_temporal(Settings())


def test_temporal_cloud_api_key_turns_tls_on(clean_env: pytest.MonkeyPatch) -> None:
    """What Client.connect receives for Temporal Cloud with an API key (no cloud here)."""
    clean_env.setenv("TEMPORAL_ADDRESS", "journeys.a1b2c.tmprl.cloud:7233")
    clean_env.setenv("TEMPORAL_NAMESPACE", "journeys.a1b2c")
    clean_env.setenv("TEMPORAL_API_KEY", "cloud-api-key")
    config = connect_config(Settings())
    assert config["target_host"] == "journeys.a1b2c.tmprl.cloud:7233"
    assert config["namespace"] == "journeys.a1b2c"
    assert config["api_key"] == "cloud-api-key"
    assert config["tls"] is True


def test_defaults_and_settings_given_in_code(clean_env: pytest.MonkeyPatch) -> None:
    assert connect_config(Settings()) == {"target_host": "localhost:7233", "namespace": "default"}
    given = connect_config(Settings(temporal_address="temporal:7233", temporal_namespace="shop"))
    assert (given["target_host"], given["namespace"]) == ("temporal:7233", "shop")
