"""Credentials encrypted at rest (Fernet, AES-128-CBC + HMAC).

The key comes from PARVIS_ENCRYPTION_KEYS (comma-separated, newest first, for rotation) or is generated
into the data folder on first run. Losing the key means reconnecting every channel, nothing worse.
"""

import json
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

from parvis.config.settings import env


class CredentialsError(Exception):
    pass


@cache
def _fernet() -> MultiFernet:
    raw = env("ENCRYPTION_KEYS")
    if raw:
        keys = [k.strip() for k in raw.split(",") if k.strip()]
    else:
        path = settings.DATA_DIR / "encryption.key"
        if not path.exists():
            path.write_bytes(Fernet.generate_key())
            path.chmod(0o600)
        keys = [path.read_text().strip()]
    return MultiFernet([Fernet(k) for k in keys])


def encrypt(data: dict) -> bytes:
    return _fernet().encrypt(json.dumps(data).encode())


def decrypt(blob: bytes | memoryview | None) -> dict:
    if not blob:
        return {}
    try:
        return json.loads(_fernet().decrypt(bytes(blob)))
    except InvalidToken as exc:
        raise CredentialsError(
            "Identifiants illisibles : la clé de chiffrement a changé. Reconnectez le compte."
        ) from exc
