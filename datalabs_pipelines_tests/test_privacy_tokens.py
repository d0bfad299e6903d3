"""Identifier tokens: HMAC-SHA256 in SQL equals the reference, keys are handled safely."""

from __future__ import annotations

import secrets
import stat

import pytest

from datalabs_pipelines.privacy_tokens import (
    KEY_ENV,
    MissingKeyError,
    hmac_hex,
    hmac_pads,
    install_hmac_macro,
    linkage_key,
)
from datalabs_pipelines.settings import get_settings


@pytest.mark.parametrize("value", ["123456789", "JOSÉ", "", "x" * 500])
@pytest.mark.parametrize("key", [b"k", bytes(range(32)), bytes(100)])
def test_sql_hmac_equals_python_hmac(con, key, value):
    install_hmac_macro(con, key)
    assert con.execute("SELECT dl_hmac(?)", [value]).fetchone()[0] == hmac_hex(key, value)


def test_hmac_of_null_is_null(con):
    install_hmac_macro(con, b"k")
    assert con.execute("SELECT dl_hmac(NULL)").fetchone()[0] is None


def test_key_from_environment(monkeypatch):
    monkeypatch.setenv(KEY_ENV, "ab" * 16)
    assert linkage_key() == bytes.fromhex("ab" * 16)


def test_development_key_file_is_created_once_with_mode_0600(tmp_path, monkeypatch):
    monkeypatch.delenv(KEY_ENV, raising=False)
    monkeypatch.setenv("DATALABS_LINKAGE_KEY_FILE", str(tmp_path / "k" / "linkage.key"))
    first = linkage_key()
    mode = stat.S_IMODE((tmp_path / "k" / "linkage.key").stat().st_mode)
    assert mode == 0o600
    assert linkage_key() == first and len(first) == 32


def test_production_without_key_is_an_error(tmp_path, monkeypatch):
    monkeypatch.delenv(KEY_ENV, raising=False)
    monkeypatch.setenv("DATALABS_ENV", "production")
    monkeypatch.setenv("DATALABS_LINKAGE_KEY_FILE", str(tmp_path / "linkage.key"))
    with pytest.raises(MissingKeyError, match="DATALABS_LINKAGE_KEY is not set"):
        linkage_key(get_settings())
    assert not (tmp_path / "linkage.key").exists()


@pytest.mark.parametrize(
    "hex_key",
    [
        "00",  # one byte
        "ab" * 16,  # 16 bytes
        "ab" * 32,  # one repeated byte
        "0102" * 16,  # two distinct bytes
        bytes(range(32)).hex(),  # a sequence
        b"correct horse battery staple!!!!".hex(),  # text
        bytes(range(40)).hex()[:40] * 2,  # a 20-byte pattern twice
    ],
)
def test_production_refuses_short_or_low_entropy_keys_without_printing_them(
    tmp_path, monkeypatch, hex_key
):
    monkeypatch.setenv("DATALABS_ENV", "production")
    monkeypatch.setenv(KEY_ENV, hex_key)
    monkeypatch.setenv("DATALABS_LINKAGE_KEY_FILE", str(tmp_path / "linkage.key"))
    with pytest.raises(MissingKeyError) as caught:
        linkage_key(get_settings())
    assert "random bytes" in str(caught.value)
    assert hex_key not in str(caught.value) and hex_key[:8] not in str(caught.value)


def test_production_refuses_an_empty_key(tmp_path, monkeypatch):
    monkeypatch.setenv("DATALABS_ENV", "production")
    monkeypatch.setenv(KEY_ENV, "")
    monkeypatch.setenv("DATALABS_LINKAGE_KEY_FILE", str(tmp_path / "linkage.key"))
    with pytest.raises(MissingKeyError):
        linkage_key(get_settings())


def test_production_accepts_32_random_bytes(monkeypatch):
    key = secrets.token_bytes(32)
    monkeypatch.setenv("DATALABS_ENV", "production")
    monkeypatch.setenv(KEY_ENV, key.hex())
    assert linkage_key(get_settings()) == key


def test_malformed_key_message_does_not_echo_it(monkeypatch):
    monkeypatch.setenv(KEY_ENV, "zz-not-hex-SECRETISH")
    with pytest.raises(MissingKeyError) as caught:
        linkage_key()
    assert "SECRETISH" not in str(caught.value)


def test_development_key_folder_is_0700_and_loose_modes_are_fixed(tmp_path, monkeypatch):
    monkeypatch.delenv(KEY_ENV, raising=False)
    folder = tmp_path / "k"
    monkeypatch.setenv("DATALABS_LINKAGE_KEY_FILE", str(folder / "linkage.key"))
    first = linkage_key()
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    folder.chmod(0o755)
    (folder / "linkage.key").chmod(0o644)
    assert linkage_key() == first
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((folder / "linkage.key").stat().st_mode) == 0o600


def test_a_symlinked_key_file_is_refused(tmp_path, monkeypatch):
    monkeypatch.delenv(KEY_ENV, raising=False)
    folder = tmp_path / "k"
    folder.mkdir(mode=0o700)
    (tmp_path / "elsewhere.key").write_text("cd" * 32)
    (folder / "linkage.key").symlink_to(tmp_path / "elsewhere.key")
    monkeypatch.setenv("DATALABS_LINKAGE_KEY_FILE", str(folder / "linkage.key"))
    with pytest.raises(MissingKeyError, match="symbolic link"):
        linkage_key()


def test_no_key_material_in_the_sql_text(con):
    key = bytes(range(7, 39))
    inner, outer = hmac_pads(key)
    seen = []
    # record what SQL text the macro installation runs through the connection's own API
    install_hmac_macro(_TextRecorder(con, seen), key)
    text = "\n".join(seen).lower()
    for secret in (key.hex(), inner.hex(), outer.hex()):
        assert secret not in text
    assert con.execute("SELECT dl_hmac('x')").fetchone()[0] == hmac_hex(key, "x")


class _TextRecorder:
    """A connection stand-in that keeps each SQL text and bound parameter it is given."""

    def __init__(self, con, seen):
        self._con, self._seen = con, seen

    def execute(self, sql, params=None):
        self._seen.append(sql + repr(params))
        return self._con.execute(sql) if params is None else self._con.execute(sql, params)

    def values(self, *args):
        return self._con.values(*args)


def test_a_key_file_directly_in_a_shared_folder_is_refused(tmp_path, monkeypatch):
    monkeypatch.delenv(KEY_ENV, raising=False)
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    monkeypatch.setenv("DATALABS_LINKAGE_KEY_FILE", str(shared / "linkage.key"))
    with pytest.raises(MissingKeyError, match="shared folder"):
        linkage_key()
    assert stat.S_IMODE(shared.stat().st_mode) == 0o1777  # left as it was
    assert not (shared / "linkage.key").exists()
