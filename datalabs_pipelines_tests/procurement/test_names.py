"""Name, address and contact normalization: the variants registries and vendor masters write."""

import duckdb
import pytest

from datalabs_pipelines.procurement.names import install_macros


@pytest.fixture(scope="module")
def norm():
    con = duckdb.connect()
    install_macros(con)

    def apply(macro: str, value: str | None):
        return con.execute(f"SELECT {macro}(?)", [value]).fetchall()[0][0]

    yield apply
    con.close()


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("1st Class Trucking, Inc.", "1ST CLASS TRUCKING INC"),
        ("A & B Janitorial LLC", "A AND B JANITORIAL"),
        ("The Morgan Services, Corp.", "MORGAN SERVICES"),
        ("Joe's Pizza L.L.C.", "JOES PIZZA"),
        ("Reyes Paving Co. Inc.", "Reyes Paving"),
        ("Mail &amp; Cargo Transport", "MAIL & CARGO TRANSPORT"),
        (" 123 TRANSPORTATION, LLC  ", "123 Transportation"),
        ("Hernández Paving", "HERNANDEZ PAVING"),
        ("ACME Holdings dba Best Widgets", "Acme Holdings"),
    ],
)
def test_name_variants_normalize_alike(norm, a, b):
    assert norm("biz_name", a) == norm("biz_name", b)


@pytest.mark.parametrize(
    ("a", "b"),
    [("A & B Janitorial", "A & C Janitorial"), ("Theater Supply", "The Ater Supply")],
)
def test_different_names_stay_different(norm, a, b):
    assert norm("biz_name", a) != norm("biz_name", b)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("ACME D/B/A Best Widgets, Inc", "BEST WIDGETS"),
        ("ACME DBA Best Widgets", "BEST WIDGETS"),
        ("ACME Inc", None),
    ],
)
def test_dba_part(norm, value, expected):
    assert norm("biz_name", norm("biz_dba_part", value)) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("4130 STONEMILL DRIVE,HIGH POINT, NC 27265", "4130 STONEMILL DR"),  # NC DBE mailing
        ("4130 Stonemill Dr.", "4130 STONEMILL DR"),
        ("123 N. Main Street Suite 5", "123 N MAIN ST STE 5"),
        ("123 NORTH MAIN ST STE 5", "123 N MAIN ST STE 5"),
        ("500 W Madison St #200", "500 W MADISON ST STE 200"),
    ],
)
def test_address(norm, value, expected):
    assert norm("biz_address", value) == expected


@pytest.mark.parametrize(
    "phone", ["(312) 555-0147", "312-555-0147", "312.555.0147", "3125550147", "+1 312 555 0147"]
)
def test_phone_formats(norm, phone):
    assert norm("biz_phone", phone) == "3125550147"


def test_zip_and_city(norm):
    assert norm("biz_zip5", "61761-6933") == "61761"
    assert norm("biz_city", " High  Point ") == "HIGH POINT"
    assert norm("biz_phone", "555-0147") is None
