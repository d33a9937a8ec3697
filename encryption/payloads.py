"""The Temporal payload codec: every payload the API, the workers and the CLI write to Temporal
is encrypted (AES-GCM, the key's id in the payload's metadata); Temporal's database and its Web
UI see ciphertext only. The codec server (api/routes/codec.py) decodes for engineers.

A payload without our encoding passes through both ways: histories recorded before the codec
existed (tests/histories/) still decode and replay.
"""

from collections.abc import Sequence

from google.protobuf.message import Message
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec

from encryption.keyring import Keyring

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"
_PURPOSE = b"journeys.payload.v1"
_PAYLOAD = Payload.DESCRIPTOR.full_name


class EncryptionCodec(PayloadCodec):
    """`encrypt=False` (development without keys): payloads are written in clear, and encrypted
    ones, written by a process that has encryption on, are still read."""

    def __init__(self, keyring: Keyring, encrypt: bool = True) -> None:
        self._keyring = keyring
        self._encrypt = encrypt

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        if not self._encrypt:
            return list(payloads)
        encoded = []
        for payload in payloads:
            key_id, sealed = self._keyring.encrypt(payload.SerializeToString(), _PURPOSE)
            encoded.append(
                Payload(metadata={"encoding": ENCODING, KEY_ID: key_id.encode()}, data=sealed)
            )
        return encoded

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        decoded = []
        for payload in payloads:
            if payload.metadata.get("encoding") != ENCODING:
                decoded.append(payload)
                continue
            key_id = payload.metadata.get(KEY_ID, b"").decode()
            decoded.append(
                Payload.FromString(self._keyring.decrypt(key_id, payload.data, _PURPOSE))
            )
        return decoded


async def decode_message(message: Message, codec: PayloadCodec) -> None:
    """Decode, in place, every payload anywhere inside a protobuf message (a whole history):
    for the replay corpus, which must replay without the keys, and for reading a history."""
    for field, value in message.ListFields():
        if field.message_type is None:
            continue
        if field.message_type.full_name == _PAYLOAD:
            if field.is_repeated:
                decoded = await codec.decode(list(value))
                del value[:]
                value.extend(decoded)
            else:
                value.CopyFrom((await codec.decode([value]))[0])
        elif field.message_type.GetOptions().map_entry:
            entry_value = field.message_type.fields_by_name["value"]
            if entry_value.message_type is None:
                continue
            for key in list(value):
                if entry_value.message_type.full_name == _PAYLOAD:
                    value[key].CopyFrom((await codec.decode([value[key]]))[0])
                else:
                    await decode_message(value[key], codec)
        elif field.is_repeated:
            for item in value:
                await decode_message(item, codec)
        else:
            await decode_message(value, codec)
