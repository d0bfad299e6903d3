"""Identifier tokens: HMAC-SHA256 in SQL equals the reference, keys are handled safely."""

from __future__ import annotations

import stat

import pytest

from datalabs_pipelines.governance.tokens import (
    KEY_ENV,
    MissingKeyError,
    hmac_hex,
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
