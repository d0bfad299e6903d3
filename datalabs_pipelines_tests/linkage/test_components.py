"""Connected components on graphs small enough to see."""

import pytest

from datalabs_pipelines.linkage.components import connected_components


def components(con, nodes: list[str], edges: list[tuple[str, str]]) -> dict[str, str]:
    con.execute("CREATE OR REPLACE TEMP TABLE n (node VARCHAR)")
    con.execute("CREATE OR REPLACE TEMP TABLE e (node_l VARCHAR, node_r VARCHAR)")
    con.executemany("INSERT INTO n VALUES (?)", [(x,) for x in nodes])
    if edges:
        con.executemany("INSERT INTO e VALUES (?, ?)", edges)
    connected_components(con, "n", "e", "cc")
    return dict(con.execute("SELECT node, component FROM cc").fetchall())


@pytest.mark.parametrize(
    ("nodes", "edges", "expected"),
    [
        (["a", "b"], [], {"a": "a", "b": "b"}),
        (["a", "b", "c"], [("a", "b"), ("b", "c")], {"a": "a", "b": "a", "c": "a"}),
        (["c", "b", "a"], [("c", "b"), ("b", "a")], {"a": "a", "b": "a", "c": "a"}),
        (
            list("abcdef"),
            [("f", "e"), ("e", "d"), ("d", "c"), ("c", "b"), ("b", "a")],
            dict.fromkeys("abcdef", "a"),
        ),
        (["a", "b", "x", "y"], [("b", "a"), ("y", "x")], {"a": "a", "b": "a", "x": "x", "y": "x"}),
        (["a", "b", "c"], [("a", "b"), ("b", "c"), ("c", "a")], dict.fromkeys("abc", "a")),
        (["a"], [("a", "zzz")], {"a": "a"}),  # an edge to an unknown node is ignored
    ],
    ids=["no_edges", "chain", "chain_reversed", "long_chain", "two_parts", "cycle", "dangling"],
)
def test_components(con, nodes, edges, expected):
    assert components(con, nodes, edges) == expected
