"""Countries and regions as people write them become one ISO code."""

from __future__ import annotations

import pytest

from accord.core.geography import country_code, country_name, region_code, region_name


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("US", "US"),
        ("usa", "US"),
        ("U.S.A.", "US"),
        ("United States", "US"),
        ("United States of America", "US"),
        ("  united   states ", "US"),
        ("UK", "GB"),
        ("Great Britain", "GB"),
        ("United Kingdom", "GB"),
        ("GBR", "GB"),
        ("Deutschland", "DE"),
        ("South Korea", "KR"),
        ("Korea, Republic of", "KR"),
        ("Côte d'Ivoire", "CI"),
        ("Cote d Ivoire", "CI"),
        ("Türkiye", "TR"),
        ("Turkey", "TR"),
        ("Viet Nam", "VN"),
        ("Vietnam", "VN"),
    ],
)
def test_a_country_written_any_common_way_is_its_iso_code(written, code):
    assert country_code(written) == code


@pytest.mark.parametrize("written", ["", None, "Atlantis", "Europe", "12"])
def test_text_that_is_no_country_is_none(written):
    assert country_code(written) is None


def test_codes_have_common_names():
    assert (country_name("US"), country_name("kr"), country_name("ZZ")) == (
        "United States",
        "South Korea",
        "ZZ",
    )


def test_regions_need_their_country_only_when_written_as_a_bare_code():
    assert region_code("California") == region_code("US-CA") == region_code("CA", "USA") == "US-CA"
    assert region_code("ON", "Canada") == region_code("Ontario") == "CA-ON"
    assert region_code("CA") is None  # California or a Canadian code: not guessed
    assert region_code("New South Wales") == "AU-NSW" and region_name("US-NY") == "New York"
