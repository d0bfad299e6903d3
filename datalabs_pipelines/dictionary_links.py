"""Links into the published data dictionary page, for check results and other metadata."""

from __future__ import annotations

import dagster as dg

from datalabs_pipelines.settings import get_settings

PAGE_NAME = "dictionary.html"


def dictionary_url(anchor: str = "") -> str:
    """``file://`` address of the dictionary page, at ``anchor`` (``schema.table[.column]``)."""
    page = (get_settings().published_dir / PAGE_NAME).as_uri()
    return f"{page}#{anchor}" if anchor else page


def dictionary_link(anchor: str = "") -> dg.MetadataValue:
    return dg.MetadataValue.url(dictionary_url(anchor))
