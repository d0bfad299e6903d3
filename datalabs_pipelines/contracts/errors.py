"""Contract mistakes as a steward reads them: one line per problem, placed in YAML terms.

Pydantic's errors name a place as ``columns.3.format`` and a problem as "Extra inputs are not
permitted"; here that is ``columns[3] (payment_date): unknown key 'format'; did you mean
'formats'?``. Suggestions come from the model's own field names and allowed values.
"""

from __future__ import annotations

import difflib
import re
from typing import Any, get_args

from pydantic import BaseModel, ValidationError

from datalabs_pipelines.contracts.model import (
    Agreement,
    Column,
    Contract,
    Expectation,
    FileFormat,
    FixedWidthField,
)


def _by_tag(union: Any, tag: str) -> dict[str, type[BaseModel]]:
    members = get_args(get_args(union)[0])
    return {value: m for m in members for value in get_args(m.model_fields[tag].annotation)}


FORMATS = _by_tag(FileFormat, "kind")
EXPECTATIONS = _by_tag(Expectation, "type")
# Where a field's value is another model (or one of several, chosen by a tag).
NESTED: dict[type[BaseModel], dict[str, Any]] = {
    Contract: {
        "columns": Column,
        "format": FORMATS,
        "expectations": EXPECTATIONS,
        "agreement": Agreement,
    },
    Column: {"fixed_width": FixedWidthField},
}
QUOTED = re.compile(r"'([^']*)'")


def problems(exc: ValidationError, data: dict) -> list[str]:
    """``place: problem`` for every error in ``exc``, ``data`` being the contract's YAML."""
    return [_problem(err, data) for err in exc.errors()]


def _problem(err: dict, data: dict) -> str:
    loc = list(err["loc"])
    kind = err["type"]
    if kind in ("extra_forbidden", "missing") and loc:
        key = str(loc.pop())
        place, model = _place(loc, data)
        if kind == "missing":
            return f"{place}: missing key '{key}'"
        known = list(model.model_fields) if isinstance(model, type) else []
        return f"{place}: unknown key '{key}'{_suggest(key, known)}"
    place, _ = _place(loc, data)
    ctx = err.get("ctx") or {}
    if kind == "literal_error":
        allowed = QUOTED.findall(ctx.get("expected", ""))
        given = err["input"]
        return f"{place}: {given!r} is not one of {', '.join(allowed)}{_suggest(given, allowed)}"
    if kind == "union_tag_invalid":
        allowed = QUOTED.findall(ctx.get("expected_tags", ""))
        tag = ctx.get("tag", "")
        field = ctx.get("discriminator", "").strip("'")
        return (
            f"{place}: {field} {tag!r} is not one of {', '.join(allowed)}{_suggest(tag, allowed)}"
        )
    message = str(err["msg"]).removeprefix("Value error, ")
    return f"{place}: {message}"


def _place(loc: list, data: Any) -> tuple[str, Any]:
    """``columns[3] (payment_date).formats`` for a pydantic location, and the model there."""
    text, node, model = "", data, Contract
    for part in loc:
        if isinstance(model, dict) and part in model:  # the tag pydantic adds for a union
            model = model[part]
            continue
        if isinstance(part, int):
            node = node[part] if isinstance(node, list) and part < len(node) else None
            label = ""
            if isinstance(node, dict):
                label = node.get("name") or node.get("type") or ""
            text += f"[{part}]" + (f" ({label})" if label else "")
            continue
        fields = NESTED.get(model, {}) if isinstance(model, type) else {}
        model = fields.get(part, model if isinstance(model, dict) else None)
        node = node.get(part) if isinstance(node, dict) else None
        text += f".{part}" if text else str(part)
    return text or "contract", model


def _suggest(given: object, options: list[str]) -> str:
    close = difflib.get_close_matches(str(given), options, n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""
