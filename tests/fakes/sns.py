"""Amazon SNS's side of an HTTPS subscription, on loopback: its signing certificate and the
SubscribeURL a confirmation visits, and messages signed as AWS documents it.

    sns = FakeSns()
    message = sns.notification(topic_arn, json.dumps(ses_event))   # signed, version 2
    sns.confirmations                                              # SubscribeURL visits

The certificate is a self-signed X.509 certificate made for the run, served at
`<base_url>/SimpleNotificationService-<hex>.pem` like SNS's own.
"""

import base64
import threading
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from tests.fakes.loopback import JsonHandler, LoopbackServer

_FIELDS = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": (
        "Message",
        "MessageId",
        "SubscribeURL",
        "Timestamp",
        "Token",
        "TopicArn",
        "Type",
    ),
}
_HASHES = {"1": hashes.SHA1, "2": hashes.SHA256}


def self_signed(key: rsa.RSAPrivateKey, name: str) -> bytes:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM)


class FakeSns:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.certificate = self_signed(self._key, "sns.amazonaws.com")
        self.certificate_path = f"/SimpleNotificationService-{uuid.uuid4().hex}.pem"
        self.confirmations: list[str] = []  # topic ARNs whose SubscribeURL was visited
        self._loopback = LoopbackServer(self, _Handler)
        self.base_url = self._loopback.base_url

    def close(self) -> None:
        self._loopback.close()

    def sign(self, message: dict[str, str], version: str = "2") -> dict[str, str]:
        fields = _FIELDS[
            "Notification" if message["Type"] == "Notification" else "SubscriptionConfirmation"
        ]
        text = "".join(f"{name}\n{message[name]}\n" for name in fields if name in message)
        signature = self._key.sign(text.encode(), padding.PKCS1v15(), _HASHES[version]())
        return message | {
            "SignatureVersion": version,
            "Signature": base64.b64encode(signature).decode(),
            "SigningCertURL": self.base_url + self.certificate_path,
        }

    def notification(self, topic_arn: str, text: str, version: str = "2") -> dict[str, str]:
        message_id = str(uuid.uuid4())
        return self.sign(
            {
                "Type": "Notification",
                "MessageId": message_id,
                "TopicArn": topic_arn,
                "Message": text,
                "Timestamp": datetime.now(UTC).isoformat(timespec="milliseconds"),
                "UnsubscribeURL": f"{self.base_url}/?Action=Unsubscribe&SubscriptionArn=x",
            },
            version,
        )

    def subscription_confirmation(self, topic_arn: str) -> dict[str, str]:
        token = uuid.uuid4().hex
        return self.sign(
            {
                "Type": "SubscriptionConfirmation",
                "MessageId": str(uuid.uuid4()),
                "Token": token,
                "TopicArn": topic_arn,
                "Message": f"You have chosen to subscribe to the topic {topic_arn}.",
                "SubscribeURL": f"{self.base_url}/?Action=ConfirmSubscription"
                f"&TopicArn={topic_arn}&Token={token}",
                "Timestamp": datetime.now(UTC).isoformat(timespec="milliseconds"),
            }
        )


class _Handler(JsonHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        fake: FakeSns = self.server.fake
        url = urlsplit(self.path)
        if url.path == fake.certificate_path:
            return self._send(200, fake.certificate, "application/x-x509-ca-cert")
        query: dict[str, Any] = parse_qs(url.query)
        if query.get("Action") == ["ConfirmSubscription"] and query.get("Token"):
            with fake._lock:
                fake.confirmations.append(query["TopicArn"][0])
            return self._send(200, b"<ConfirmSubscriptionResponse/>", "text/xml")
        self._send(404, b"", "text/plain")

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
