"""ACCORD_DATE_FORMAT: one date convention for tables, lists, details and date inputs."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.core.exceptions import ImproperlyConfigured

from accord.campaigns.forms import CostLineForm
from accord.core.env import env_choice
from accord.qualification.models import CriteriaStatus
from accord.qualification.tests.factories import criteria_with_rules

MOMENT = datetime(2026, 12, 6, 5, 24, tzinfo=UTC)


@pytest.fixture
def locale_dates(settings):
    from django.utils.formats import reset_format_cache

    settings.ACCORD_DATE_FORMAT = "locale"
    settings.FORMAT_MODULE_PATH = None
    reset_format_cache()  # Django resets it for DATE_FORMAT and the like, not for FORMAT_MODULE_PATH
    yield
    settings.FORMAT_MODULE_PATH = ["config.formats"]
    reset_format_cache()


def test_the_setting_takes_iso_or_locale_and_names_the_choices_otherwise(monkeypatch):
    assert env_choice("ACCORD_DATE_FORMAT", ("iso", "locale"), "iso") == "iso"
    monkeypatch.setenv("ACCORD_DATE_FORMAT", " Locale ")
    assert env_choice("ACCORD_DATE_FORMAT", ("iso", "locale"), "iso") == "locale"
    monkeypatch.setenv("ACCORD_DATE_FORMAT", "us")
    with pytest.raises(ImproperlyConfigured, match="ACCORD_DATE_FORMAT='us' is not one of: iso, locale"):
        env_choice("ACCORD_DATE_FORMAT", ("iso", "locale"), "iso")


def test_by_default_the_criteria_list_shows_an_iso_date_like_every_table(personas, client_for):
    with time_machine.travel(MOMENT, tick=False):
        criteria_with_rules(status=CriteriaStatus.ACTIVE)
    html = client_for(personas.root).get("/criteria/").content.decode()
    assert "<td>2026-12-06 05:24</td>" in html
    assert "Dec. 6, 2026" not in html and "a.m." not in html


def test_by_default_a_date_input_takes_and_shows_iso_as_the_tables_do(db):
    html = str(CostLineForm(initial={"period_start": date(2026, 12, 6)})["period_start"])
    assert 'type="text"' in html and 'value="2026-12-06"' in html and 'placeholder="YYYY-MM-DD"' in html
    form = CostLineForm({"amount": "1", "period_start": "2026-12-06"})
    assert form.is_valid() and form.cleaned_data["period_start"] == date(2026, 12, 6)
    assert not CostLineForm({"amount": "1", "period_start": "12/06/2026"}).is_valid()


def test_the_locale_convention_uses_the_browsers_date_picker_and_short_locale_dates(
    personas, client_for, locale_dates
):
    with time_machine.travel(MOMENT, tick=False):
        criteria_with_rules(status=CriteriaStatus.ACTIVE)
    html = client_for(personas.root).get("/criteria/").content.decode()
    assert "<td>12/06/2026 5:24 a.m.</td>" in html
    field = str(CostLineForm(initial={"period_start": date(2026, 12, 6)})["period_start"])
    assert 'type="date"' in field and 'value="2026-12-06"' in field  # ISO-valued, shown in the locale
    form = CostLineForm({"amount": "1", "period_start": "2026-12-06"})
    assert form.is_valid() and form.cleaned_data["period_start"] == date(2026, 12, 6)


def test_no_page_spells_out_its_own_date_format():
    """Pages name the configured formats; only machine-readable 'c' and the logs' seconds stay fixed."""
    import re
    from pathlib import Path

    from django.conf import settings

    allowed = {"SHORT_DATE_FORMAT", "SHORT_DATETIME_FORMAT", "c", "Y-m-d H:i:s", "Y-m-d H:i:s e"}
    found = {}
    for template in [
        *Path(settings.BASE_DIR, "accord").rglob("*.html"),
        *Path(settings.BASE_DIR, "templates").rglob("*.html"),
    ]:
        for fmt in re.findall(r"""\|date:["']([^"']*)["']""", template.read_text(encoding="utf-8")):
            if fmt not in allowed:
                found.setdefault(str(template.relative_to(settings.BASE_DIR)), []).append(fmt)
    assert found == {}
