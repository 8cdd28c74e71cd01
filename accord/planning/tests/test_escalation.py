"""Disagreements climb the chain of command after the plan's number of business days (the team's
working hours and holidays), with a due date at each level, until someone with authority resolves it."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine

from accord.planning.tests.factories import plan_previewed

pytestmark = pytest.mark.django_db

FRIDAY_3PM = datetime(2027, 1, 8, 15, 0, tzinfo=UTC)


def at(day: int, hour: int = 15, minute: int = 0) -> datetime:
    return datetime(2027, 1, day, hour, minute, tzinfo=UTC)


def test_a_disagreement_climbs_level_by_level_counting_business_days_and_holidays(personas):
    from accord.people.models import TeamHoliday
    from accord.planning.models import Disagreement
    from accord.planning.services import disagreement_raise, disagreement_resolve, disagreements_escalate_due

    TeamHoliday.objects.create(team=personas.health, day=date(2027, 1, 11), name="Team day off")
    plan, preview = plan_previewed(personas, days=2, sponsor=personas.eve)
    item = plan.versions.get(kind="plan").items.get(key="sqls")
    with time_machine.travel(FRIDAY_3PM, tick=False):
        d = disagreement_raise(
            item=item, actor=personas.bob, body="400 SQLs is too many for us", preview=preview
        )
    # Bob's manager first. Team Health works 09:00-18:00: Fri 3h, Mon is a holiday, Tue 9h, Wed 6h.
    assert (d.assignee, d.level, d.due_at) == (personas.mike, 1, at(13))

    with time_machine.travel(at(13, 14, 59), tick=False):
        assert disagreements_escalate_due() == 0
    with time_machine.travel(at(13), tick=False):
        assert disagreements_escalate_due() == 1
        assert disagreements_escalate_due() == 0  # idempotent: a second sweep moves nothing
    d.refresh_from_db()
    # Then Mike's manager, the sales head (no team: the default 09:00-18:00 calendar): Wed 15:00 + 18h.
    assert (d.assignee, d.level, d.due_at) == (personas.sam, 2, at(15))

    with time_machine.travel(at(15), tick=False):
        assert disagreements_escalate_due() == 1
    d.refresh_from_db()
    # Then the plan's executive sponsor, over the weekend: Fri 15:00 -> Tue 15:00.
    assert (d.assignee, d.level, d.due_at) == (personas.eve, 3, at(19))

    with time_machine.travel(at(25), tick=False):
        assert disagreements_escalate_due() == 0  # nobody above the sponsor
        with pytest.raises(Exception, match="Only the person"):
            disagreement_resolve(disagreement=d, actor=personas.mike, resolution="Keep it")
        disagreement_resolve(disagreement=d, actor=personas.eve, resolution="Target 350 SQLs.")
    d = Disagreement.objects.get(pk=d.pk)
    steps = [(s.kind, s.assignee, s.level, s.due_at) for s in d.steps.all()]
    assert steps == [
        ("raised", personas.mike, 1, at(13)),
        ("escalated", personas.sam, 2, at(15)),
        ("escalated", personas.eve, 3, at(19)),
        ("resolved", None, 3, None),
    ]
    assert (d.status, d.resolved_by, d.resolution) == ("resolved", personas.eve, "Target 350 SQLs.")


def test_a_late_sweep_climbs_every_level_whose_time_is_up_counting_from_each_due_date(personas):
    from accord.planning.services import disagreement_raise, disagreements_escalate_due

    plan, preview = plan_previewed(personas, days=2, sponsor=personas.eve)
    item = plan.versions.get(kind="plan").items.get(key="sqls")
    with time_machine.travel(FRIDAY_3PM, tick=False):
        d = disagreement_raise(item=item, actor=personas.bob, body="No", preview=preview)
    assert d.due_at == at(12)  # no holiday: Fri 3h, Mon 9h, Tue 6h
    with time_machine.travel(at(15, 10), tick=False):  # the worker was down until Friday 10:00
        assert disagreements_escalate_due() == 2
    d.refresh_from_db()
    # Sam's level was due Thursday 15:00: two business days after Mike's due date, not after the late
    # sweep, so it too was over by Friday 10:00 and the same sweep climbed on to the sponsor, whose two
    # days also count from Thursday 15:00 (Thu 3h, Fri 9h, the weekend skipped, Mon 6h: Monday 15:00).
    assert [(s.assignee, s.due_at) for s in d.steps.filter(kind="escalated")] == [
        (personas.sam, at(14)),
        (personas.eve, at(18)),
    ]
    assert (d.assignee, d.level, d.due_at) == (personas.eve, 3, at(18))


def test_the_person_it_waits_on_is_notified_and_anyone_above_them_may_resolve(personas):
    from accord.notifications.models import Notification
    from accord.planning.services import disagreement_raise, disagreement_resolve

    plan, preview = plan_previewed(personas, sponsor=personas.eve)
    item = plan.versions.get(kind="plan").items.get(key="events")
    d = disagreement_raise(item=item, actor=personas.carol, body="Spend it on webinars", preview=preview)
    assert Notification.objects.filter(user=personas.mike, kind="plan_disagreement").exists()
    # A rep outside the chain may not decide; the sales head, above Mike, may.
    with pytest.raises(Exception, match="Only the person"):
        disagreement_resolve(disagreement=d, actor=personas.charlie, resolution="x")
    disagreement_resolve(disagreement=d, actor=personas.sam, resolution="Keep events.")


def test_the_escalation_sweep_is_periodic_work():
    from accord.core.periodic import SCHEDULE

    names = {entry.name: entry.task for entry in SCHEDULE}
    assert names["planning-disagreements-escalate"] == "accord.planning.tasks.disagreements_escalate_task"
