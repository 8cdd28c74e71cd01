"""GET /healthz."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import OperationalError
from django.test import Client


@pytest.mark.django_db
def test_it_reports_ok_when_the_database_answers():
    response = Client().get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["database"]) == ("ok", "ok")
    assert body["mail"] == {"failing": 0, "given_up": 0}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_a_section_that_cannot_be_read_says_so_without_failing_the_check():
    from accord.core.health import _sections, health_section_register

    saved = dict(_sections)

    def broken() -> dict:
        raise RuntimeError("boom")

    health_section_register("broken", broken)
    try:
        response = Client().get("/healthz")
    finally:
        _sections.clear()
        _sections.update(saved)
    assert response.status_code == 200
    assert response.json()["broken"] == {"error": "could not be read"}


@pytest.mark.django_db
def test_it_reports_503_when_the_database_does_not_answer():
    with mock.patch("accord.core.views.connection.cursor", side_effect=OperationalError("down")):
        response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "unavailable"}


@pytest.mark.django_db
def test_it_needs_no_sign_in_and_only_answers_get():
    assert Client().post("/healthz").status_code == 405
