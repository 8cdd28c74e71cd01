"""The any-day run (`make test-any-day`, which `.ci/run` uses for SQLite) really reads its pinned clock.

Without this check a faketime that failed to take hold (a missing library, a process that ignores
LD_PRELOAD) would let the run pass at the real time, and the guard against day-dependent tests would
be gone without a word.
"""

from __future__ import annotations

import os
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

EXPECTED = os.environ.get("ACCORD_EXPECT_CLOCK", "")
MAKEFILE = Path(__file__).resolve().parents[3] / "Makefile"


def test_the_default_any_day_clock_is_a_saturday_morning_in_a_quarters_last_month():
    found = re.search(r"^ANY_DAY_CLOCK \?= (.+)$", MAKEFILE.read_text(encoding="utf-8"), re.M)
    assert found, "the Makefile sets ANY_DAY_CLOCK"
    pinned = datetime.strptime(found[1].strip(), "%Y-%m-%d %H:%M:%S")
    # Saturday, a quarter's last month (calendar quarters: the demo's fiscal year starts in January),
    # before noon: business deadlines then lie two days away.
    assert (pinned.weekday(), pinned.month % 3, pinned.hour < 12) == (5, 0, True), pinned


@pytest.mark.skipif(not EXPECTED, reason="only in `make test-any-day`, which sets ACCORD_EXPECT_CLOCK")
def test_the_process_clock_reads_the_pinned_moment():
    expected = datetime.strptime(EXPECTED, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    now = datetime.fromtimestamp(time.time(), tz=UTC)
    # The clock starts at the pinned moment and runs on; a whole suite takes well under two hours.
    assert expected <= now < expected + timedelta(hours=2), (
        f"the clock reads {now:%Y-%m-%d %H:%M} UTC, not the pinned {EXPECTED}: is faketime working?"
    )
