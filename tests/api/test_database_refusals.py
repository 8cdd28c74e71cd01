"""A value the schemas let through but the database cannot hold is the caller's input: 422, never a 500."""

from __future__ import annotations

import json

from django.db import DataError
from django.test import RequestFactory

from config.api import on_value_the_database_cannot_store


def test_a_database_refusal_answers_422_naming_the_value():
    request = RequestFactory().post("/api/v1/anything")
    response = on_value_the_database_cannot_store(request, DataError("bigint out of range\nCONTEXT: ..."))
    assert response.status_code == 422
    body = json.loads(response.content)
    assert body["detail"] == {"database": "bigint out of range"}
    assert "outside what Accord can store (bigint out of range)" in body["message"]
