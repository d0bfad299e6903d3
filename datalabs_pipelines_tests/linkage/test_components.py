"""Connected components on graphs small enough to see."""

import random

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


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_graphs_label_each_component_by_its_smallest_node(con, seed):
    """Against a plain union-find: ids of mixed case, digits and accents (smallest in code-point
    order, which DuckDB's and Arrow's byte order both follow for UTF-8)."""
    rng = random.Random(seed)
    alphabet = "aZ9é_:"
    nodes = list(
        {"".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 5))) for _ in range(300)}
    )
    edges = [(rng.choice(nodes), rng.choice(nodes)) for _ in range(200)]
    parent = {n: n for n in nodes}

    def find(n: str) -> str:
        while parent[n] != n:
            n = parent[n]
        return n

    for left, right in edges:
        a, b = find(left), find(right)
        parent[max(a, b)] = min(a, b)
    assert components(con, nodes, edges) == {n: find(n) for n in nodes}
