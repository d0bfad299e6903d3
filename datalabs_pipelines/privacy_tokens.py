"""Keyed tokens for direct identifiers: HMAC-SHA256 of the normalized value.

The key comes from ``DATALABS_LINKAGE_KEY`` (hex). In development, when none is set, a random key
is created once in a file outside git (folder 0700, file 0600). In production the key must be
set and look random (``check_production_key``). HMAC is computed inside DuckDB so that millions
of values never pass through Python, and the key never appears in SQL text or bound parameters
(which the SQL recorder writes to disk): its pads enter DuckDB through the relation API into
connection variables. ``hmac_hex`` is the reference implementation the tests compare it with.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import stat
from pathlib import Path

from datalabs_pipelines.settings import Settings, get_settings

KEY_ENV = "DATALABS_LINKAGE_KEY"
BLOCK = 64  # SHA-256 block size in bytes
MIN_KEY_BYTES = 32
MIN_DISTINCT = 20  # 32 random bytes hold ~30 distinct values; fewer than 20 is ~impossible
PADS_TABLE = "dl_hmac_pads"


class MissingKeyError(RuntimeError):
    """No usable linkage key: missing, weak, malformed, or stored readable by others.

    Messages never include the key or any part of it.
    """


def linkage_key(settings: Settings | None = None) -> bytes:
    settings = settings or get_settings()
    value = os.environ.get(KEY_ENV)
    if value:
        try:
            key = bytes.fromhex(value.strip())
        except ValueError:
            raise MissingKeyError(f"{KEY_ENV} must be hex-encoded bytes") from None
        if settings.production:
            check_production_key(key)
        return key
    if settings.production:
        raise MissingKeyError(
            f"{KEY_ENV} is not set and DATALABS_ENV=production: refusing to tokenize identifiers "
            "with a development key. Set the key from the secret store and rerun."
        )
    return _development_key(settings.key_file)


def check_production_key(key: bytes) -> None:
    """Refuse a key that is short or plainly not random (text, repeats, sequences)."""
    fix = "generate one with `python -c 'import secrets; print(secrets.token_hex(32))'`"
    if len(key) < MIN_KEY_BYTES:
        raise MissingKeyError(
            f"{KEY_ENV} holds {len(key)} bytes; production needs at least {MIN_KEY_BYTES} "
            f"random bytes: {fix}"
        )
    steps = [(b - a) % 256 for a, b in zip(key, key[1:], strict=False)]
    if (
        len(set(key)) < MIN_DISTINCT
        or len(set(steps)) < MIN_DISTINCT
        or all(0x20 <= b < 0x7F for b in key)
    ):
        raise MissingKeyError(
            f"{KEY_ENV} does not look random (too few distinct bytes, a repeated pattern or "
            f"sequence, or text): production needs {MIN_KEY_BYTES} random bytes: {fix}"
        )


def _development_key(path: Path) -> bytes:
    """The development key file's key, created on first use; folder 0700, file 0600."""
    _private(path.parent, 0o700, mkdir=True)
    if path.exists():
        _private(path, 0o600)
        try:
            return bytes.fromhex(path.read_text().strip())
        except ValueError:
            raise MissingKeyError(f"the key file {path} does not hold hex") from None
    key = secrets.token_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key.hex())
    return key


def _private(path: Path, mode: int, *, mkdir: bool = False) -> None:
    """Make ``path`` (a key file or its folder) ours alone; refuse what cannot be fixed."""
    if mkdir and not path.exists():
        path.mkdir(parents=True, mode=mode)
    info = path.lstat()
    if stat.S_ISLNK(info.st_mode) or info.st_uid != os.getuid():
        raise MissingKeyError(
            f"{path} is a symbolic link or belongs to another user: refusing to keep the "
            "linkage key there"
        )
    if info.st_mode & stat.S_ISVTX:
        raise MissingKeyError(
            f"{path} is a shared folder (like /tmp): keep the linkage key in a folder of its own"
        )
    if stat.S_IMODE(info.st_mode) & 0o077:
        path.chmod(mode)  # was open to group or others: fixed before the key is read


def hmac_hex(key: bytes, value: str) -> str:
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()


def hmac_pads(key: bytes) -> tuple[bytes, bytes]:
    """The inner and outer padded keys of RFC 2104."""
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
    """Create a temporary ``dl_hmac(text)`` macro bound to this key on the connection.

    The pads go into a temporary table through the relation API (no SQL text, no bound
    parameter), from there into two connection variables, and the table is dropped: the
    statements run, and any log of them, hold no key material.
    """
    con.execute(f"CREATE OR REPLACE TEMP TABLE {PADS_TABLE} (inner_pad BLOB, outer_pad BLOB)")
    fill_pads(con, key)
    con.execute(f"SET VARIABLE dl_hmac_inner = (SELECT inner_pad FROM {PADS_TABLE})")
    con.execute(f"SET VARIABLE dl_hmac_outer = (SELECT outer_pad FROM {PADS_TABLE})")
    con.execute(f"DROP TABLE {PADS_TABLE}")
    con.execute(
        """
        CREATE OR REPLACE TEMP MACRO dl_hmac(v) AS
          CASE WHEN v IS NULL THEN NULL ELSE
            sha256(getvariable('dl_hmac_outer') ||
                   unhex(sha256(getvariable('dl_hmac_inner') || encode(v))))
          END
        """
    )


def fill_pads(con, key: bytes) -> None:
    """Insert ``key``'s pads into the pads table without SQL text or parameters."""
    con.values([*hmac_pads(key)]).insert_into(PADS_TABLE)
