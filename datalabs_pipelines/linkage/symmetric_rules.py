"""Whether a blocking rule pairs (a, b) exactly when it pairs (b, a).

The incremental scoring finds the kept profiles a rule pairs with a new one by joining with the
new profile on the left, then on the right. For a symmetric rule the second join finds the same
profiles, so it is left out. A rule counts as symmetric only when swapping ``l`` and ``r`` gives
the same expression up to the order of operands that commute (``=``, ``<>``, ``AND``, ``OR``,
``+``, ``*``), the two arguments of a string distance or similarity, and ``abs(a - b)``. Any other
rule, or one that does not parse, counts as asymmetric: both joins then run, as before.
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp

COMMUTATIVE = (exp.EQ, exp.NEQ, exp.NullSafeEQ, exp.NullSafeNEQ, exp.And, exp.Or, exp.Add, exp.Mul)
SYMMETRIC_TYPES = (exp.Levenshtein, exp.JarowinklerSimilarity)
SYMMETRIC_NAMES = {
    "damerau_levenshtein",
    "levenshtein",
    "hamming",
    "jaccard",
    "jaro_similarity",
    "jaro_winkler_similarity",
}
SIDES = {"l": "r", "r": "l"}


def is_symmetric(rule: str, dialect: str = "duckdb") -> bool:
    """True when ``rule`` (SQL over ``l`` and ``r``) is provably the same with them swapped."""
    try:
        parsed = sqlglot.parse_one(rule, dialect=dialect)
    except sqlglot.errors.ParseError:
        return False
    swapped = parsed.copy().transform(_swap_sides)
    return _canonical(parsed) == _canonical(swapped)


def _swap_sides(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.Column) and node.table in SIDES:
        return exp.column(node.name, table=SIDES[node.table], quoted=node.this.quoted)
    return node


def _canonical(node: exp.Expression | object) -> str:
    """A text for ``node`` that is equal for expressions equal up to the listed symmetries."""
    if not isinstance(node, exp.Expression):
        return repr(node)
    if isinstance(node, exp.Paren):
        return _canonical(node.this)
    if isinstance(node, exp.Column):
        return f"Column({node.table}.{node.name})"
    kind = type(node).__name__
    if isinstance(node, COMMUTATIVE):
        return _unordered(kind, _operands(node, type(node)))
    if isinstance(node, exp.Abs) and isinstance(node.this, exp.Sub):
        return _unordered("AbsDiff", [node.this.this, node.this.expression])
    arguments = _symmetric_arguments(node)
    if arguments is not None:
        return _unordered(node.name.lower() if isinstance(node, exp.Anonymous) else kind, arguments)
    parts = []
    for key, value in sorted(node.args.items()):
        if value is None:
            continue
        values = value if isinstance(value, list) else [value]
        parts.append(f"{key}=[{','.join(_canonical(v) for v in values if v is not None)}]")
    return f"{kind}({';'.join(parts)})"


def _unordered(kind: str, operands: list[exp.Expression]) -> str:
    return f"{kind}{{{','.join(sorted(_canonical(o) for o in operands))}}}"


def _operands(node: exp.Expression, kind: type) -> list[exp.Expression]:
    """The operands of ``node``; of a whole chain for an associative operator (``a AND b AND
    c``: a, b and c)."""
    out: list[exp.Expression] = []
    for side in (node.this, node.expression):
        while isinstance(side, exp.Paren):
            side = side.this
        chained = isinstance(side, kind) and kind in (exp.And, exp.Or, exp.Add, exp.Mul)
        out += _operands(side, kind) if chained else [side]
    return out


def _symmetric_arguments(node: exp.Expression) -> list[exp.Expression] | None:
    """The two arguments of a call whose result does not depend on their order, else None."""
    if isinstance(node, SYMMETRIC_TYPES):
        given = {key for key, value in node.args.items() if value is not None}
        return [node.this, node.expression] if given == {"this", "expression"} else None
    if (
        isinstance(node, exp.Anonymous)
        and node.name.lower() in SYMMETRIC_NAMES
        and len(node.expressions) == 2
    ):
        return list(node.expressions)
    return None
