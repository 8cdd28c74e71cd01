"""A moment sent to the API with any UTC offset is kept as the same instant in UTC (UtcDatetime)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import TypeAdapter, ValidationError

from accord.core.api_support import UtcDatetime

moment = TypeAdapter(UtcDatetime)


def test_an_offset_moment_becomes_the_same_instant_in_utc():
    assert moment.validate_python("2026-03-03T10:00:00+01:00") == datetime(2026, 3, 3, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize("text", ["0001-01-01T00:00:00+00:01", "9999-12-31T23:59:00-00:01"])
def test_a_moment_outside_the_years_a_datetime_holds_is_refused_not_a_server_error(text):
    with pytest.raises(ValidationError, match="outside the years 1 to 9999"):
        moment.validate_python(text)
