"""Embedded industry reference: NAICS codes with trade words used to build business names."""

from __future__ import annotations

# (6-digit NAICS, trade word for names, purchase description, typical payment in dollars)
TRADES: tuple[tuple[str, str, str, float], ...] = (
    ("236220", "Construction", "Building renovation", 42000.0),
    ("237310", "Paving", "Highway resurfacing", 65000.0),
    ("238210", "Electric", "Electrical contracting", 18000.0),
    ("238220", "Plumbing & Heating", "HVAC and plumbing services", 12000.0),
    ("238160", "Roofing", "Roof repair", 22000.0),
    ("541330", "Engineering", "Engineering design services", 30000.0),
    ("541511", "Software", "Custom software development", 25000.0),
    ("541611", "Consulting", "Management consulting", 15000.0),
    ("541810", "Advertising", "Public awareness campaign", 9000.0),
    ("541211", "Accounting", "Audit and accounting services", 8000.0),
    ("561720", "Janitorial", "Janitorial services", 4500.0),
    ("561320", "Staffing", "Temporary staffing", 11000.0),
    ("561730", "Landscaping", "Grounds maintenance", 3800.0),
    ("561612", "Security", "Security guard services", 9500.0),
    ("423430", "Computer Supply", "Computer equipment", 7000.0),
    ("424120", "Office Supply", "Office supplies", 1200.0),
    ("423450", "Medical Supply", "Medical equipment", 6500.0),
    ("484110", "Trucking", "Freight hauling", 5200.0),
    ("485410", "Transit", "Student transportation", 14000.0),
    ("621610", "Home Health", "Home health services", 5600.0),
    ("624120", "Senior Services", "Services for the elderly", 4800.0),
    ("811111", "Auto Repair", "Fleet vehicle repair", 2100.0),
    ("811310", "Equipment Repair", "Equipment maintenance", 3300.0),
    ("332322", "Metal Works", "Sheet metal fabrication", 9000.0),
    ("339112", "Instruments", "Surgical instruments", 5000.0),
    ("722320", "Catering", "Event catering", 2500.0),
    ("518210", "Data Services", "Data hosting services", 16000.0),
    ("532490", "Equipment Rental", "Equipment rental", 4000.0),
    ("445110", "Foods", "Food supplies", 1800.0),
)

PLACE_WORDS: tuple[str, ...] = (
    "Midwest", "Prairie", "Great Lakes", "Heartland", "Lincoln", "Central Illinois",
    "Northern Illinois", "Lakeshore", "Windy City", "River Valley", "Fox Valley", "Capitol",
    "Metro", "Southern Illinois", "Sangamon", "Illini", "Northshore", "Chicagoland", "Pioneer",
    "Summit", "Keystone", "Eagle", "Liberty", "Patriot", "Allied", "Premier", "United",
    "Superior", "Reliable", "Precision", "Quality", "Advanced", "Integrated", "Apex",
    "Benchmark", "Cornerstone", "Crossroads", "Frontier", "Horizon", "Landmark",
)

GROUP_WORDS: tuple[str, ...] = (
    "Group", "Associates", "Partners", "Enterprises", "Solutions", "Services", "Company",
    "Industries", "Holdings",
)

LEGAL_SUFFIXES: tuple[str, ...] = ("Inc.", "LLC", "Corp.", "Co.", "Ltd.", "")
LEGAL_SUFFIX_WEIGHTS: tuple[float, ...] = (0.38, 0.35, 0.1, 0.07, 0.02, 0.08)

# Purchasing agencies (three-letter codes) and how much of the spend each has.
AGENCIES: tuple[tuple[str, float], ...] = (
    ("DOT", 0.24), ("HFS", 0.12), ("DHS", 0.14), ("CMS", 0.1), ("ISP", 0.06), ("DNR", 0.05),
    ("EPA", 0.04), ("DPH", 0.08), ("DOC", 0.1), ("DCF", 0.07),
)

# Postsecondary institutions: (IPEDS-like unit id, name, level: 2 = two-year, 4 = four-year)
INSTITUTIONS: tuple[tuple[str, str, int], ...] = (
    ("149001", "Prairie State Community College", 2),
    ("149002", "Lakeshore City Colleges", 2),
    ("149003", "Fox Valley Community College", 2),
    ("149004", "Sangamon Technical College", 2),
    ("149005", "River Bend Community College", 2),
    ("149101", "University of Central Illinois", 4),
    ("149102", "Northern Prairie State University", 4),
    ("149103", "Lincoln Land University", 4),
    ("149104", "Southern Illinois Polytechnic", 4),
    ("149105", "Lakeview College of Nursing", 4),
)

# CIP 2020 codes for completions
CIP_CODES: tuple[str, ...] = (
    "11.0701", "51.3801", "52.0201", "24.0101", "47.0604", "12.0503", "43.0104", "13.1202",
    "14.0901", "26.0101", "51.0801", "15.0501", "46.0302", "52.0301", "42.0101",
)
