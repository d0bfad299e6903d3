"""Keyed tokens for direct identifiers: HMAC-SHA256 of the normalized value.

The key comes from ``DATALABS_LINKAGE_KEY`` (hex). In development, when none is set, a random key
is created once in a file outside git with mode 0600. In production a missing key is an error.
HMAC is computed inside DuckDB (``hmac_sql``) so that millions of values never pass through
Python; ``hmac_hex`` is the reference implementation the tests compare it with.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from datalabs_pipelines.settings import Settings, get_settings

KEY_ENV = "DATALABS_LINKAGE_KEY"
BLOCK = 64  # SHA-256 block size in bytes


class MissingKeyError(RuntimeError):
    """Production mode without a linkage key."""


def linkage_key(settings: Settings | None = None) -> bytes:
    settings = settings or get_settings()
    value = os.environ.get(KEY_ENV)
    if value:
        try:
            return bytes.fromhex(value.strip())
        except ValueError as exc:
            raise MissingKeyError(f"{KEY_ENV} must be hex-encoded bytes") from exc
    if settings.production:
        raise MissingKeyError(
            f"{KEY_ENV} is not set and DATALABS_ENV=production: refusing to tokenize identifiers "
            "with a development key. Set the key from the secret store and rerun."
        )
    return _development_key(settings.key_file)


def _development_key(path: Path) -> bytes:
    if path.exists():
        return bytes.fromhex(path.read_text().strip())
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key.hex())
    return key


def hmac_hex(key: bytes, value: str) -> str:
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()


def hmac_pads(key: bytes) -> tuple[bytes, bytes]:
    """The inner and outer padded keys of RFC 2104, bound into SQL as blobs."""
    if len(key) > BLOCK:
        key = hashlib.sha256(key).digest()
    key = key.ljust(BLOCK, b"\0")
    return bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)


def hmac_sql(expression: str) -> str:
    """SQL computing HMAC-SHA256 of ``expression`` (VARCHAR) as hex; NULL stays NULL.

    Expects the macro created by ``install_hmac_macro`` on the connection.
    """
    return f"dl_hmac({expression})"


def install_hmac_macro(con, key: bytes) -> None:
    """Create a temporary ``dl_hmac(text)`` macro bound to this key on the connection."""
    inner, outer = hmac_pads(key)
    # The pads are hex literals of fixed length derived from the key, not user input.
    con.execute(
        f"""
        CREATE OR REPLACE TEMP MACRO dl_hmac(v) AS
          CASE WHEN v IS NULL THEN NULL ELSE
            sha256(unhex('{outer.hex()}') ||
                   unhex(sha256(unhex('{inner.hex()}') || encode(v))))
          END
        """
    )
