"""Amazon SNS message signatures, as AWS documents them for HTTP(S) subscribers.

A message names the certificate that signed it (`SigningCertURL`); it is fetched only from an
address the settings allow (by default `https://sns.<region>.amazonaws.com/....pem`) and kept.
The signed text is each present field of the message type, in order, as `<name>\\n<value>\\n`:
Notification — Message, MessageId, Subject (if any), Timestamp, TopicArn, Type; subscription
confirmations — Message, MessageId, SubscribeURL, Timestamp, Token, TopicArn, Type. The
signature is RSA PKCS#1 v1.5 over it with SHA1 (`SignatureVersion` 1) or SHA256 (2).
"""

import base64
import binascii
import re
from urllib.parse import urlsplit

import httpx
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

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
_FIELDS["UnsubscribeConfirmation"] = _FIELDS["SubscriptionConfirmation"]
_HASHES = {"1": hashes.SHA1, "2": hashes.SHA256}
_MAX_CERTIFICATES = 16


class SnsSignatureError(ValueError):
    pass


class SnsCertificateUnavailable(Exception):
    """The signing certificate could not be fetched now: SNS should try again later."""


class SnsVerifier:
    def __init__(self, certificate_url_pattern: str, timeout_seconds: float = 5.0) -> None:
        self._pattern = re.compile(certificate_url_pattern)
        self._timeout = timeout_seconds
        self._keys: dict[str, rsa.RSAPublicKey] = {}

    async def verify(self, message: dict[str, str]) -> None:
        fields = _FIELDS.get(message.get("Type", ""))
        hash_type = _HASHES.get(message.get("SignatureVersion", ""))
        if fields is None or hash_type is None:
            raise SnsSignatureError("unknown Type or SignatureVersion")
        missing = [f for f in fields if f != "Subject" and not isinstance(message.get(f), str)]
        if missing:
            raise SnsSignatureError(f"{missing[0]} is required")
        key = await self._key(message.get("SigningCertURL", ""))
        text = "".join(f"{name}\n{message[name]}\n" for name in fields if name in message)
        try:
            signature = base64.b64decode(message.get("Signature", ""), validate=True)
            key.verify(signature, text.encode(), padding.PKCS1v15(), hash_type())
        except (binascii.Error, ValueError, InvalidSignature) as err:
            raise SnsSignatureError("signature does not match") from err

    def same_host(self, message: dict[str, str], url: str) -> bool:
        """Whether `url` (a SubscribeURL) is on the host of the verified signing certificate."""
        return urlsplit(url).netloc == urlsplit(message.get("SigningCertURL", "")).netloc

    async def _key(self, url: str) -> rsa.RSAPublicKey:
        if not self._pattern.match(url):
            raise SnsSignatureError("SigningCertURL is not an SNS certificate address")
        key = self._keys.get(url)
        if key is not None:
            return key
        try:
            async with httpx.AsyncClient(timeout=self._timeout) as client:
                response = await client.get(url)
            response.raise_for_status()
            public = x509.load_pem_x509_certificate(response.content).public_key()
        except httpx.HTTPError as err:
            raise SnsCertificateUnavailable("the signing certificate could not be fetched") from err
        except ValueError as err:
            raise SnsSignatureError("the signing certificate is unreadable") from err
        if not isinstance(public, rsa.RSAPublicKey):
            raise SnsSignatureError("the signing certificate has no RSA key")
        if len(self._keys) >= _MAX_CERTIFICATES:
            self._keys.clear()
        self._keys[url] = public
        return public
