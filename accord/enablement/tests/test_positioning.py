"""Positioning rounds: sales answer how they would position a new product and which objections they
expect, until the deadline; marketing reads the answers and writes a summary."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from accord.core.errors import AccessDenied, Conflict
from accord.enablement.models import PositioningRound
from accord.enablement.services import (
    positioning_answer_set,
    positioning_round_open,
    positioning_summary_set,
)
from accord.notifications.models import Notification

START = datetime(2027, 3, 1, 10, 0, tzinfo=UTC)


def test_sales_answer_until_the_deadline_and_marketing_gets_the_summary(
    enable, run_due_tasks, django_capture_on_commit_callbacks, client_for
):
    p = enable
    with time_machine.travel(START, tick=False), django_capture_on_commit_callbacks(execute=True):
        round_ = positioning_round_open(user=p.alice, product="Claims AI", deadline=START + timedelta(days=5))
    with time_machine.travel(START, tick=False):
        assert "sales_team_notice_task" in run_due_tasks()
    assert Notification.objects.filter(kind="positioning_round", user=p.bob).count() == 1
    with time_machine.travel(START + timedelta(days=1), tick=False):
        positioning_answer_set(
            round_id=round_.pk,
            user=p.bob,
            against_existing_line="Premium tier above Claims",
            expected_objections="Is the AI auditable?",
        )
        positioning_answer_set(
            round_id=round_.pk,
            user=p.bob,
            against_existing_line="Add-on to Claims",
            expected_objections="Is the AI auditable?",
        )
        with pytest.raises(AccessDenied):
            positioning_answer_set(
                round_id=round_.pk, user=p.alice, against_existing_line="x", expected_objections="y"
            )
        assert (
            "Add-on to Claims"
            not in client_for(p.carol).get(f"/enablement/positioning/{round_.pk}/").content.decode()
        )
        assert (
            "Add-on to Claims"
            in client_for(p.alice).get(f"/enablement/positioning/{round_.pk}/").content.decode()
        )
    assert round_.answers.count() == 1
    with time_machine.travel(START + timedelta(days=5, minutes=1), tick=False):
        assert "positioning_round_close_task" in run_due_tasks()
        with pytest.raises(Conflict, match="closed"):
            positioning_answer_set(
                round_id=round_.pk, user=p.carol, against_existing_line="x", expected_objections="y"
            )
    assert PositioningRound.objects.get(pk=round_.pk).closed_at is not None
    [closed] = Notification.objects.filter(kind="positioning_closed", user=p.alice)
    assert "1 answers" in closed.subject
    positioning_summary_set(
        round_id=round_.pk, user=p.alice, summary="Sell it as an add-on; prepare an audit answer."
    )
    with pytest.raises(AccessDenied):
        positioning_summary_set(round_id=round_.pk, user=p.bob, summary="x")
