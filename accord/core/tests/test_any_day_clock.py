"""The any-day run (`make test-any-day`, which `.ci/run` uses for SQLite) really reads a weekend clock.

Without this check a faketime that failed to take hold (a missing library, a process that ignores
LD_PRELOAD) would let the run pass at the real time, and the guard against day-dependent tests would
be gone without a word.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime

import pytest

EXPECTED = os.environ.get("ACCORD_EXPECT_CLOCK", "")


@pytest.mark.skipif(not EXPECTED, reason="only in `make test-any-day`, which sets ACCORD_EXPECT_CLOCK")
def test_the_process_clock_reads_the_pinned_saturday_morning_in_a_quarters_last_month():
    expected = datetime.strptime(EXPECTED, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    now = datetime.fromtimestamp(time.time(), tz=UTC)
    assert expected.weekday() == 5 and expected.month % 3 == 0, "ANY_DAY_CLOCK must be such a Saturday"
    # The clock starts at the pinned moment and runs on; a whole suite takes well under a day.
    assert expected <= now < expected.replace(hour=23, minute=59), (
        f"the clock reads {now:%Y-%m-%d %H:%M} UTC, not the pinned {EXPECTED}: is faketime working?"
    )
