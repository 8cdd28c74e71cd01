"""Countries and regions as people write them, made comparable: "US", "USA", "U.S." and "United States"
are all ISO 3166-1 ``US``; "California", "CA" (in the US) and "US-CA" are all ISO 3166-2 ``US-CA``.

The table is vendored (``accord.core.geography_data``); nothing is looked up over the network.
Unrecognised text is returned as None, so callers keep what was written.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from accord.core.geography_data import COUNTRIES, REGIONS

# Names people use that ISO does not list (lower case, accents and punctuation dropped, see _key).
COUNTRY_ALIASES: dict[str, str] = {
    "america": "US",
    "united states of america": "US",
    "the united states": "US",
    "the us": "US",
    "the usa": "US",
    "the states": "US",
    "uk": "GB",
    "u k": "GB",
    "great britain": "GB",
    "britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    "the uk": "GB",
    "holland": "NL",
    "the netherlands": "NL",
    "korea": "KR",
    "republic of korea": "KR",
    "north korea": "KP",
    "russia": "RU",
    "vietnam": "VN",
    "iran": "IR",
    "syria": "SY",
    "laos": "LA",
    "bolivia": "BO",
    "venezuela": "VE",
    "tanzania": "TZ",
    "moldova": "MD",
    "czech republic": "CZ",
    "ivory coast": "CI",
    "macedonia": "MK",
    "turkey": "TR",
    "uae": "AE",
    "emirates": "AE",
    "hong kong": "HK",
    "macau": "MO",
    "palestine": "PS",
    "vatican": "VA",
    "vatican city": "VA",
    "brunei": "BN",
    "cape verde": "CV",
    "swaziland": "SZ",
    "burma": "MM",
    "east timor": "TL",
    "micronesia": "FM",
    "deutschland": "DE",
    "espana": "ES",
    "brasil": "BR",
    "mexique": "MX",
    "schweiz": "CH",
    "suisse": "CH",
    "osterreich": "AT",
    "nederland": "NL",
    "belgie": "BE",
    "italia": "IT",
    "polska": "PL",
    "sverige": "SE",
    "norge": "NO",
    "danmark": "DK",
    "suomi": "FI",
    "eire": "IE",
    "nippon": "JP",
    "prc": "CN",
    "peoples republic of china": "CN",
    "republic of china": "TW",
    "uae emirates": "AE",
    "kingdom of saudi arabia": "SA",
    "ksa": "SA",
}

_NOT_WORD = re.compile(r"[^a-z0-9]+")


def _key(text: str) -> str:
    """Lower case, accents and punctuation dropped, single spaces: "Côte d'Ivoire" -> "cote d ivoire"."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return _NOT_WORD.sub(" ", plain).strip()


def _country_index() -> tuple[dict[str, str], dict[str, str]]:
    index: dict[str, str] = {}
    names: dict[str, str] = {}
    for alpha2, alpha3, name, common, official in COUNTRIES:
        names[alpha2] = common or name
        for text in (alpha2, alpha3, name, common, official):
            if text:
                index.setdefault(_key(text), alpha2)
        # "Korea, Republic of" is also written "Republic of Korea"
        if ", " in name:
            head, tail = name.split(", ", 1)
            index.setdefault(_key(f"{tail} {head}"), alpha2)
    for alias, alpha2 in COUNTRY_ALIASES.items():
        index[_key(alias)] = alpha2
    index["u s"] = index["u s a"] = "US"  # "U.S." and "U.S.A." after punctuation is dropped
    return index, names


_COUNTRY_INDEX, _COUNTRY_NAMES = _country_index()


@functools.lru_cache(maxsize=8192)
def country_code(text: str | None) -> str | None:
    """The ISO 3166-1 alpha-2 code for a country as written (code, alpha-3, name, common name), else None."""
    if not text:
        return None
    return _COUNTRY_INDEX.get(_key(str(text)))


def country_name(code: str) -> str:
    """The common English name of an alpha-2 code ("US" -> "United States"); the code when unknown."""
    return _COUNTRY_NAMES.get(code.upper(), code)


def _region_index() -> tuple[dict[str, str], dict[str, list[str]], dict[str, str]]:
    by_code: dict[str, str] = {}
    by_name: dict[str, list[str]] = {}
    names: dict[str, str] = {}
    for code, name, _type in REGIONS:
        names[code] = name
        by_code[_key(code)] = code
        by_name.setdefault(_key(name), []).append(code)
    return by_code, by_name, names


_REGION_BY_CODE, _REGION_BY_NAME, _REGION_NAMES = _region_index()


@functools.lru_cache(maxsize=8192)
def region_code(text: str | None, country: str | None = None) -> str | None:
    """The ISO 3166-2 code of a region (state, province) as written, else None.

    "US-CA" and "California" need no country; a bare subdivision code ("CA", "NSW") needs the
    country it is in (a code or a name), since "CA" alone could be California or Canada.
    """
    if not text:
        return None
    key = _key(str(text))
    if key in _REGION_BY_CODE and " " in key:  # "us ca": a full code
        return _REGION_BY_CODE[key]
    found = _REGION_BY_NAME.get(key, [])
    nation = country_code(country) if country else None
    if nation:
        found = [c for c in found if c.startswith(f"{nation}-")]
        full = _key(f"{nation}-{text}")
        if not found and full in _REGION_BY_CODE:
            return _REGION_BY_CODE[full]
    return found[0] if len(found) == 1 else None


def region_name(code: str) -> str:
    """A region's name ("US-CA" -> "California"); the code when unknown."""
    return _REGION_NAMES.get(code.upper(), code)
