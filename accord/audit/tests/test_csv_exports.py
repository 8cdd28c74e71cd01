"""CSV exports: formula-looking cells are escaped, numbers stay numbers, and every export is logged."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.audit.exports import csv_response
from accord.audit.models import ExportRecord
from accord.core.csv_safe import (
    FORMULA_STARTS,
    csv_escape,
    csv_escape_user_cell,
    csv_unescape_user_cell,
)


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_cell_starting_with_a_formula_character_gets_a_leading_apostrophe(start):
    assert csv_escape(f"{start}1+1") == f"'{start}1+1"
    assert csv_escape(f'{start}HYPERLINK("http://evil")') == f'\'{start}HYPERLINK("http://evil")'


def test_numbers_stay_numbers_and_plain_text_is_untouched():
    from datetime import date
    from decimal import Decimal

    assert csv_escape(-15) == -15
    assert csv_escape(-2.5) == -2.5
    assert csv_escape(Decimal("-3.10")) == Decimal("-3.10")
    assert csv_escape("Team Health") == "Team Health"
    assert csv_escape("a=b") == "a=b"
    assert csv_escape(None) == ""
    assert csv_escape(True) == "yes"
    assert csv_escape(date(2026, 1, 2)) == "2026-01-02"


@given(st.text())
def test_no_text_cell_ever_starts_with_a_formula_character(text):
    assert not str(csv_escape(text)).startswith(FORMULA_STARTS)


@pytest.mark.django_db
def test_a_list_export_is_escaped_and_logged_with_its_row_count(personas):
    response = csv_response(
        "x.csv", ["name", "n"], [["=1+1", -3], ["ok", 4]], user=personas.alice, what="test.rows",
        filters={"q": "x", "empty": ""},
    )  # fmt: skip
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows == [["name", "n"], ["'=1+1", "-3"], ["ok", "4"]]
    assert response["Content-Disposition"] == 'attachment; filename="x.csv"'
    record = ExportRecord.objects.get()
    assert (record.user, record.what, record.row_count, record.filters) == (
        personas.alice,
        "test.rows",
        2,
        {"q": "x"},
    )


@pytest.mark.django_db
def test_a_streamed_export_fills_in_its_row_count_when_the_stream_ends(personas):
    response = csv_response("x.csv", ["n"], ([i] for i in range(5)), user=personas.root, what="test.stream")
    assert ExportRecord.objects.get().row_count is None
    body = b"".join(response.streaming_content).decode()
    assert body.count("\n") == 6
    assert ExportRecord.objects.get().row_count == 5


@pytest.mark.django_db
def test_the_scorecards_export_is_logged_and_holds_only_the_reps_own_row(personas, client_for):
    response = client_for(personas.bob).get("/scorecards.csv", {"period": "month"})
    assert response.status_code == 200
    names = {row[3] for row in csv.reader(io.StringIO(response.content.decode()))}
    assert names == {"name", "Bob"}
    record = ExportRecord.objects.get(what="sla.scorecards")
    assert record.user == personas.bob and record.row_count == 1 and record.filters == {"period": "month"}


@pytest.mark.django_db
def test_the_scorecards_export_escapes_a_formula_in_a_name(personas, client_for):
    personas.bob.first_name = "=HYPERLINK(1)"
    personas.bob.save()
    body = client_for(personas.mike).get("/scorecards.csv").content.decode()
    assert "'=HYPERLINK(1)" in body
    assert ",=HYPERLINK" not in body


@pytest.mark.django_db
def test_a_dashboard_export_is_logged(personas, client_for):
    response = client_for(personas.eve).get("/dashboards/executive/", {"format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    record = ExportRecord.objects.get(what="reporting.executive")
    assert record.user == personas.eve and record.row_count and record.row_count > 0


@pytest.mark.django_db
def test_an_export_outside_a_request_is_logged_as_system(personas):
    """A command or task exporting: no request, no user."""
    csv_response("x.csv", None, [], user=None, what="test.command")
    assert ExportRecord.objects.get().channel == "system"


@pytest.mark.parametrize("phone", ["+44 20 7946 0000", "+1 (555) 010-9999", "-12.5", "+49/30.1234"])
def test_a_users_phone_number_is_given_back_as_typed(phone):
    assert csv_escape_user_cell(phone) == phone
    assert csv_unescape_user_cell(csv_escape_user_cell(phone)) == phone


@pytest.mark.parametrize(
    "formula", ["+1+1", "-VP", "=1", "@SUM(A1)", "+cmd|' /C calc'!A0", "-2+3+cmd|x", "\t1"]
)
def test_a_users_cell_that_could_start_a_formula_is_still_escaped_and_reads_back(formula):
    assert csv_escape_user_cell(formula) == "'" + formula
    assert csv_unescape_user_cell(csv_escape_user_cell(formula)) == formula
