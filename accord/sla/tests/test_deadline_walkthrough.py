"""One lead from assignment through reminder, breach, manager notification, escalation and recycle."""

from __future__ import annotations

from datetime import UTC, datetime

import time_machine
from django.core import mail
from django_tasks_db.models import DBTaskResult

from accord.core.events import events_for
from accord.leads.models import Stage
from accord.notifications.models import Notification, NotificationKind
from accord.sla import services
from accord.sla.models import ClockKind, ClockStatus, SlaClock

# A Tuesday; Team Health works 09:00-18:00 UTC (the factory's team defaults).
ASSIGNED = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)


def at(hour: int, minute: int = 0) -> datetime:
    return ASSIGNED.replace(hour=hour, minute=minute)


def kinds_for(user) -> list[str]:
    return list(Notification.objects.filter(user=user).order_by("id").values_list("kind", flat=True))


def test_a_neglected_lead_is_reminded_breached_escalated_and_recycled(
    personas, hot_policy, make_lead, run_due_tasks, django_capture_on_commit_callbacks
):
    p = personas
    with time_machine.travel(ASSIGNED, tick=False):
        lead = make_lead(owner=p.bob, score=90)
        with django_capture_on_commit_callbacks(execute=True):
            clock = services.sla_start_for_assignment(lead=lead, assigned_at=ASSIGNED)
        assert clock.kind == ClockKind.ACCEPT and clock.policy == hot_policy
        assert clock.due_at == at(11) and clock.remind_at == at(10, 30)
        assert clock.status == ClockStatus.ON_TIME
        assert DBTaskResult.objects.count() == 2  # reminder and deadline, nothing else
        assert run_due_tasks() == []

    with time_machine.travel(at(10, 31), tick=False):
        assert run_due_tasks() == ["sla_clock_remind_task"]
        clock.refresh_from_db()
        assert clock.reminded_at == at(10, 31) and clock.status == ClockStatus.AT_RISK
        assert kinds_for(p.bob) == [NotificationKind.SLA_REMINDER]
        # Running the reminder again (a retried task) sends nothing more.
        with django_capture_on_commit_callbacks(execute=True):
            assert services.sla_clock_remind(clock_id=clock.pk) is False
        assert kinds_for(p.bob) == [NotificationKind.SLA_REMINDER]
        assert [m.to for m in mail.outbox] == [[p.bob.email]]

    with time_machine.travel(at(11, 1), tick=False):
        assert run_due_tasks() == ["sla_clock_breach_task"]
        clock.refresh_from_db()
        assert clock.breached_at == at(11) and clock.escalated_level == 1
        assert clock.status == ClockStatus.BREACHED
        assert kinds_for(p.bob) == [NotificationKind.SLA_REMINDER, NotificationKind.SLA_BREACH]
        assert kinds_for(p.mike) == [NotificationKind.SLA_BREACH]
        assert kinds_for(p.sam) == []
        with django_capture_on_commit_callbacks(execute=True):
            assert services.sla_clock_breach(clock_id=clock.pk) is False
        assert kinds_for(p.mike) == [NotificationKind.SLA_BREACH]

    with time_machine.travel(at(12, 59), tick=False):
        assert run_due_tasks() == []  # escalation waits 2 business hours after the breach

    with time_machine.travel(at(13, 1), tick=False):
        assert run_due_tasks() == ["sla_clock_escalate_task"]
        clock.refresh_from_db()
        assert clock.escalated_level == 2
        assert kinds_for(p.sam) == [NotificationKind.SLA_ESCALATION]
        with django_capture_on_commit_callbacks(execute=True):
            assert services.sla_clock_escalate(clock_id=clock.pk, level=2) is False

    with time_machine.travel(at(15, 1), tick=False):
        assert run_due_tasks() == ["sla_clock_recycle_task"]
        lead.refresh_from_db()
        assert lead.owner == p.carol and lead.stage == Stage.MQL
        clock.refresh_from_db()
        assert clock.stopped_at == at(15, 1) and clock.stop_reason == "recycled"
        fresh = SlaClock.objects.open().get(lead=lead)
        assert fresh.owner == p.carol and fresh.kind == ClockKind.ACCEPT and fresh.due_at == at(16, 1)
        assert kinds_for(p.carol) == [NotificationKind.LEAD_RECYCLED]
        assert NotificationKind.LEAD_RECYCLED in kinds_for(p.bob)

    types = [e.type for e in events_for(lead)]
    assert types == [
        "sla.clock_started",
        "sla.reminder_sent",
        "sla.breached",
        "sla.escalated",
        "sla.clocks_stopped",
        "lead.recycled",
        "sla.clock_started",
    ]
    recycled = events_for(lead).get(type="lead.recycled")
    assert recycled.payload["from"] == p.bob.pk and recycled.payload["to"] == p.carol.pk


def test_acting_before_the_deadline_leaves_the_queued_tasks_with_nothing_to_do(
    personas, hot_policy, make_lead, run_due_tasks, django_capture_on_commit_callbacks
):
    with time_machine.travel(ASSIGNED, tick=False):
        lead = make_lead(owner=personas.bob, score=90)
        with django_capture_on_commit_callbacks(execute=True):
            clock = services.sla_start_for_assignment(lead=lead, assigned_at=ASSIGNED)
    with time_machine.travel(at(10, 10), tick=False), django_capture_on_commit_callbacks(execute=True):
        services.lead_accept(lead=lead, user=personas.bob)
    with time_machine.travel(at(11, 30), tick=False):
        assert run_due_tasks() == ["sla_clock_remind_task", "sla_clock_breach_task"]
    clock.refresh_from_db()
    assert clock.status == ClockStatus.MET and clock.reminded_at is None and clock.breached_at is None
    assert Notification.objects.count() == 0


def test_a_breach_without_a_manager_chain_still_reaches_the_team_manager(
    personas, hot_policy, make_lead, run_due_tasks, django_capture_on_commit_callbacks
):
    personas.carol.manager = None
    personas.carol.save()
    with time_machine.travel(ASSIGNED, tick=False):
        lead = make_lead(owner=personas.carol, score=90)
        with django_capture_on_commit_callbacks(execute=True):
            services.sla_start_for_assignment(lead=lead, assigned_at=ASSIGNED)
    with time_machine.travel(at(11, 1), tick=False):
        run_due_tasks()
    assert kinds_for(personas.mike) == [NotificationKind.SLA_BREACH]
