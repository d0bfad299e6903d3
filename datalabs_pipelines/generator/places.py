"""Embedded geography: twenty Illinois counties with FIPS codes, cities, ZIP codes, area codes."""

from __future__ import annotations

from dataclasses import dataclass

STATE = "IL"


@dataclass(frozen=True)
class County:
    """A county with its cities (name, ZIP codes) and a population weight."""

    fips: str  # 5-digit state+county FIPS
    name: str
    weight: float
    area_codes: tuple[str, ...]
    cities: tuple[tuple[str, tuple[str, ...]], ...]


COUNTIES: tuple[County, ...] = (
    County(
        "17031",
        "Cook",
        40.0,
        ("312", "773", "708", "847"),
        (
            (
                "Chicago",
                (
                    "60601",
                    "60608",
                    "60609",
                    "60612",
                    "60617",
                    "60618",
                    "60619",
                    "60623",
                    "60625",
                    "60629",
                    "60632",
                    "60636",
                    "60640",
                    "60644",
                    "60647",
                    "60651",
                ),
            ),
            ("Cicero", ("60804",)),
            ("Evanston", ("60201", "60202")),
            ("Skokie", ("60076",)),
            ("Oak Park", ("60302",)),
            ("Harvey", ("60426",)),
            ("Schaumburg", ("60193", "60194")),
        ),
    ),
    County(
        "17043",
        "DuPage",
        7.0,
        ("630", "331"),
        (
            ("Naperville", ("60540", "60563")),
            ("Wheaton", ("60187",)),
            ("Elmhurst", ("60126",)),
            ("Downers Grove", ("60515",)),
            ("Addison", ("60101",)),
        ),
    ),
    County(
        "17089",
        "Kane",
        4.0,
        ("630", "847"),
        (
            ("Aurora", ("60505", "60506")),
            ("Elgin", ("60120", "60123")),
            ("Geneva", ("60134",)),
        ),
    ),
    County(
        "17097",
        "Lake",
        5.0,
        ("847", "224"),
        (
            ("Waukegan", ("60085", "60087")),
            ("North Chicago", ("60064",)),
            ("Mundelein", ("60060",)),
            ("Highland Park", ("60035",)),
        ),
    ),
    County(
        "17111",
        "McHenry",
        2.5,
        ("815", "779"),
        (
            ("Crystal Lake", ("60014",)),
            ("Woodstock", ("60098",)),
            ("McHenry", ("60050",)),
        ),
    ),
    County(
        "17197",
        "Will",
        5.5,
        ("815", "779"),
        (
            ("Joliet", ("60432", "60435", "60436")),
            ("Bolingbrook", ("60440",)),
            ("Romeoville", ("60446",)),
        ),
    ),
    County(
        "17201",
        "Winnebago",
        2.3,
        ("815", "779"),
        (
            ("Rockford", ("61101", "61102", "61104", "61108")),
            ("Loves Park", ("61111",)),
        ),
    ),
    County(
        "17167",
        "Sangamon",
        1.5,
        ("217", "447"),
        (
            ("Springfield", ("62701", "62702", "62703", "62704")),
            ("Chatham", ("62629",)),
        ),
    ),
    County(
        "17113",
        "McLean",
        1.4,
        ("309",),
        (
            ("Bloomington", ("61701", "61704")),
            ("Normal", ("61761",)),
        ),
    ),
    County(
        "17019",
        "Champaign",
        1.6,
        ("217", "447"),
        (
            ("Champaign", ("61820", "61821")),
            ("Urbana", ("61801", "61802")),
            ("Rantoul", ("61866",)),
        ),
    ),
    County(
        "17143",
        "Peoria",
        1.4,
        ("309",),
        (
            ("Peoria", ("61602", "61603", "61604", "61605")),
            ("Chillicothe", ("61523",)),
        ),
    ),
    County(
        "17163",
        "St. Clair",
        2.0,
        ("618",),
        (
            ("Belleville", ("62220", "62221")),
            ("East St. Louis", ("62201", "62205")),
            ("O'Fallon", ("62269",)),
        ),
    ),
    County(
        "17119",
        "Madison",
        2.1,
        ("618",),
        (
            ("Edwardsville", ("62025",)),
            ("Alton", ("62002",)),
            ("Granite City", ("62040",)),
        ),
    ),
    County("17093", "Kendall", 1.0, ("630",), (("Yorkville", ("60560",)), ("Oswego", ("60543",)))),
    County("17179", "Tazewell", 1.0, ("309",), (("Pekin", ("61554",)), ("Morton", ("61550",)))),
    County(
        "17091",
        "Kankakee",
        0.8,
        ("815", "779"),
        (
            ("Kankakee", ("60901",)),
            ("Bourbonnais", ("60914",)),
        ),
    ),
    County(
        "17161",
        "Rock Island",
        1.0,
        ("309",),
        (
            ("Moline", ("61265",)),
            ("Rock Island", ("61201",)),
            ("East Moline", ("61244",)),
        ),
    ),
    County("17115", "Macon", 0.8, ("217", "447"), (("Decatur", ("62521", "62522", "62526")),)),
    County("17183", "Vermilion", 0.5, ("217", "447"), (("Danville", ("61832", "61834")),)),
    County(
        "17077",
        "Jackson",
        0.4,
        ("618",),
        (
            ("Carbondale", ("62901", "62902")),
            ("Murphysboro", ("62966",)),
        ),
    ),
)
