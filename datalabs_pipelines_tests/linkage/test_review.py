"""The one review-table schema: a pair in the band is shown with both records' ids, keys and
declared fields, unless its records already carry one key."""

from datalabs_pipelines.linkage.review import review_columns, write_review

FIELDS = {"name": "business name", "zip": "ZIP code"}


def test_pairs_already_under_one_key_are_not_reviewed(con):
    con.execute("CREATE SCHEMA integrated")
    con.execute(
        "CREATE TABLE recs AS SELECT * FROM (VALUES ('a', 'vm', 'v.csv:1', 'ACME', '60601'), "
        "('b', 'reg', 'r.csv:1', 'ACME CO', '60601'), ('c', 'reg', 'r.csv:2', 'ACNE', NULL)) "
        "t(id, source_extract, record_id, name, zip)"
    )
    con.execute(
        "CREATE TABLE keys AS SELECT * FROM (VALUES ('vm', 'v.csv:1', 'K1'), "
        "('reg', 'r.csv:1', 'K2'), ('reg', 'r.csv:2', 'K1')) t(source_extract, record_id, k)"
    )
    con.execute(
        "CREATE TABLE band AS SELECT * FROM (VALUES ('a', 'b', 0.6::DOUBLE, 0.5::DOUBLE), "
        "('a', 'c', 0.8, 2.0)) "
        "t(id_l, id_r, match_probability, match_weight)"
    )
    rows = write_review(con, ("integrated", "review"), "band", "recs", "keys", "k", FIELDS)
    assert rows == 1  # a~c already share K1
    table = con.execute("SELECT * FROM integrated.review")
    assert [d[0] for d in table.description] == list(review_columns("k", FIELDS))
    assert table.fetchall() == [
        (0.6, 0.5, "vm", "v.csv:1", "reg", "r.csv:1", "K1", "K2", "ACME", "ACME CO", "60601",
         "60601")
    ]  # fmt: skip
