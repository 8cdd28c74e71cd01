"""Follow-up tasks: set on a lead, reminded once in the inbox and by email, listed as due today, marked
done, through pages and the API; and the calendar entries of tasks and SLA deadlines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail

from accord.core.calendar_feed import calendar_entries
from accord.core.errors import AccessDenied, ApplicationError, Conflict, NotFound
from accord.core.models import Event
from accord.leads.models import Stage
from accord.notifications.models import Notification
from accord.routing.tests.factories import make_lead
from accord.sla.follow_ups import (
    TASK_DUE_KIND,
    follow_up_create,
    follow_up_done,
    follow_ups_remind_due,
    tasks_due_for,
)
from accord.sla.models import ClockKind, FollowUp, SlaClock, SlaPolicy

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)  # a Tuesday morning


def at(hours: float) -> datetime:
    return NOW + timedelta(hours=hours)


@pytest.fixture
def bob_lead(personas):
    return make_lead(owner=personas.bob, stage=Stage.SAL, first_name="Pat", last_name="Jones")


@time_machine.travel(NOW, tick=False)
def test_a_rep_sets_a_task_on_their_lead(personas, bob_lead):
    task = follow_up_create(
        lead_id=bob_lead.pk, user=personas.bob, title=" Call back about the pilot ", due_at=at(26)
    )

    assert task.assignee == personas.bob and task.title == "Call back about the pilot"
    assert task.remind_at == at(26) - timedelta(minutes=15)
    event = Event.objects.get(type="task.created", subject_id=bob_lead.pk)
    assert event.actor == personas.bob and event.payload["title"] == "Call back about the pilot"


@time_machine.travel(NOW, tick=False)
def test_a_task_needs_a_title_a_future_time_and_a_lead_the_person_may_act_on(personas, bob_lead):
    with pytest.raises(ApplicationError, match="Say what to do"):
        follow_up_create(lead_id=bob_lead.pk, user=personas.bob, title="  ", due_at=at(1))
    with pytest.raises(ApplicationError, match="already passed"):
        follow_up_create(lead_id=bob_lead.pk, user=personas.bob, title="Call", due_at=at(-2))
    with pytest.raises(AccessDenied):  # Carol sees her teammate's lead but does not work it
        follow_up_create(lead_id=bob_lead.pk, user=personas.carol, title="Call", due_at=at(1))
    with pytest.raises(NotFound):  # Charlie, in another team, does not see it at all
        follow_up_create(lead_id=bob_lead.pk, user=personas.charlie, title="Call", due_at=at(1))
    with pytest.raises(ApplicationError, match="only for yourself or for people you manage"):
        follow_up_create(
            lead_id=bob_lead.pk, user=personas.bob, title="Call", due_at=at(1), assignee=personas.carol
        )
    # Bob's manager sets one for Bob.
    task = follow_up_create(
        lead_id=bob_lead.pk, user=personas.mike, title="Call", due_at=at(1), assignee=personas.bob
    )
    assert task.assignee == personas.bob and task.created_by == personas.mike
    assert FollowUp.objects.count() == 1


def test_the_reminder_goes_out_once_in_the_inbox_and_by_email(personas, bob_lead, run_due_tasks):
    from accord.sla.tasks import follow_ups_remind_due_task

    with time_machine.travel(NOW, tick=False):
        task = follow_up_create(lead_id=bob_lead.pk, user=personas.bob, title="Call back", due_at=at(2))
        assert follow_ups_remind_due() == 0  # not yet
    with time_machine.travel(at(2) - timedelta(minutes=10), tick=False):
        follow_ups_remind_due_task.enqueue()  # as the periodic schedule does
        run_due_tasks()
        assert follow_ups_remind_due() == 0  # a second sweep finds it reminded
        run_due_tasks()  # the email
    note = Notification.objects.get(user=personas.bob, kind=TASK_DUE_KIND)
    assert "Call back" in note.subject and note.url == f"/leads/{bob_lead.pk}/"
    task.refresh_from_db()
    assert task.reminded_at is not None
    assert any("Call back" in message.subject for message in mail.outbox)


def test_a_task_done_before_its_reminder_is_not_reminded(personas, bob_lead):
    with time_machine.travel(NOW, tick=False):
        task = follow_up_create(lead_id=bob_lead.pk, user=personas.bob, title="Call back", due_at=at(2))
        follow_up_done(task_id=task.pk, user=personas.bob)
        with pytest.raises(Conflict, match="already marked done"):
            follow_up_done(task_id=task.pk, user=personas.bob)
    with time_machine.travel(at(3), tick=False):
        assert follow_ups_remind_due() == 0
    assert not Notification.objects.filter(kind=TASK_DUE_KIND).exists()


@time_machine.travel(NOW, tick=False)
def test_tasks_due_today_list_overdue_and_todays_and_count_the_later_ones(personas, bob_lead):
    FollowUp.objects.create(
        lead=bob_lead, assignee=personas.bob, title="Overdue", due_at=at(-30), remind_at=at(-30)
    )
    follow_up_create(lead_id=bob_lead.pk, user=personas.bob, title="Today", due_at=at(5))
    follow_up_create(lead_id=bob_lead.pk, user=personas.bob, title="Next week", due_at=at(24 * 7))
    follow_up_create(lead_id=bob_lead.pk, user=personas.mike, title="Mike's own", due_at=at(3))

    due = tasks_due_for(user=personas.bob)

    assert [t.title for t in due.rows] == ["Overdue", "Today"]
    assert (due.overdue, due.later) == (1, 1)


@time_machine.travel(NOW, tick=False)
def test_the_inbox_shows_the_tasks_due_today_and_done_works_from_there(client, personas, bob_lead):
    task = follow_up_create(
        lead_id=bob_lead.pk, user=personas.bob, title="Send the pricing sheet", due_at=at(3)
    )
    client.force_login(personas.bob)
    page = client.get("/inbox/")
    assert b"Tasks due today" in page.content and b"Send the pricing sheet" in page.content

    done = client.post(f"/tasks/{task.pk}/done/", {"next": "/inbox/"}, follow=True)
    task.refresh_from_db()
    assert task.done_by == personas.bob
    assert b"Done: Send the pricing sheet." in done.content
    assert f'id="task-{task.pk}"'.encode() not in client.get("/inbox/").content


@time_machine.travel(NOW, tick=False)
def test_a_task_is_set_from_the_lead_page(client, personas, bob_lead):
    client.force_login(personas.bob)
    page = client.get(f"/leads/{bob_lead.pk}/")
    assert b'id="follow-up-form"' in page.content
    answer = client.post(
        f"/tasks/leads/{bob_lead.pk}/", {"title": "Call Tuesday", "due_at": "2026-03-17T10:00"}
    )
    assert answer.status_code == 302
    assert FollowUp.objects.get().title == "Call Tuesday"

    bad = client.post(
        f"/tasks/leads/{bob_lead.pk}/", {"title": "Call", "due_at": "next tuesday"}, follow=True
    )
    assert b"Give the due date and time" in bad.content
    client.force_login(personas.charlie)
    assert (
        client.post(f"/tasks/leads/{bob_lead.pk}/", {"title": "x", "due_at": "2026-03-17T10:00"}).status_code
        == 404
    )


# --- API ----------------------------------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_the_api_sets_lists_and_completes_tasks(api_client_for, personas, bob_lead):
    bob = api_client_for(personas.bob)
    created = bob.post(
        "/api/v1/tasks",
        {"lead_id": bob_lead.pk, "title": "Call back", "due_at": "2026-03-11T10:00:00+00:00"},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["title"] == "Call back" and body["assignee"] == str(personas.bob) and body["done_at"] is None

    listed = bob.get("/api/v1/tasks").json()
    assert [t["id"] for t in listed["results"]] == [body["id"]]
    assert api_client_for(personas.charlie).get("/api/v1/tasks").json()["count"] == 0
    assert api_client_for(personas.charlie).post(f"/api/v1/tasks/{body['id']}/done").status_code == 404

    done = bob.post(f"/api/v1/tasks/{body['id']}/done")
    assert done.status_code == 200 and done.json()["done_by"] == str(personas.bob)
    assert bob.post(f"/api/v1/tasks/{body['id']}/done").status_code == 409
    assert bob.get("/api/v1/tasks").json()["count"] == 0
    assert bob.get("/api/v1/tasks?include_done=true").json()["count"] == 1


@time_machine.travel(NOW, tick=False)
def test_the_api_explains_a_bad_task(api_client_for, personas, bob_lead):
    bob = api_client_for(personas.bob)
    past = bob.post("/api/v1/tasks", {"lead_id": bob_lead.pk, "title": "x", "due_at": "2026-03-01T10:00:00+00:00"},
                    content_type="application/json")  # fmt: skip
    assert past.status_code == 400 and past.json()["detail"] == {"due_at": "is past"}
    extra = bob.post("/api/v1/tasks", {"lead_id": bob_lead.pk, "title": "x", "due_at": "2026-03-11T10:00:00Z",
                                       "done_at": "2026-03-11T10:00:00Z"}, content_type="application/json")  # fmt: skip
    assert extra.status_code == 422


# --- calendar entries -----------------------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_the_calendar_holds_the_persons_open_tasks_and_sla_deadlines(personas, bob_lead):
    task = follow_up_create(lead_id=bob_lead.pk, user=personas.bob, title="Call back", due_at=at(26))
    done = follow_up_create(lead_id=bob_lead.pk, user=personas.bob, title="Already done", due_at=at(27))
    follow_up_done(task_id=done.pk, user=personas.bob)
    policy = SlaPolicy.objects.create(name="Default", is_default=True)
    clock = SlaClock.objects.create(lead=bob_lead, kind=ClockKind.FIRST_TOUCH, policy=policy, owner=personas.bob,
                                    started_at=NOW, due_at=at(8))  # fmt: skip

    entries = calendar_entries(personas.bob, at(-24), at(24 * 30))

    uids = [e.uid for e in entries]
    assert uids == [f"sla-{clock.pk}@accord", f"task-{task.pk}@accord"]
    assert entries[1].title == f"Task: Call back ({bob_lead})" and entries[1].kind == "tasks"
    assert entries[0].title.startswith("SLA deadline: First touch")
    assert calendar_entries(personas.carol, at(-24), at(24 * 30)) == []


@time_machine.travel(NOW, tick=False)
def test_the_api_refuses_ids_no_database_stores_and_keeps_any_offset_as_its_instant(
    api_client_for, personas, bob_lead
):
    bob = api_client_for(personas.bob)
    too_big = 2**63
    assert bob.get(f"/api/v1/tasks?lead_id={too_big}").status_code == 422
    assert bob.get("/api/v1/tasks?offset=99999999999999999999").status_code == 422
    assert bob.post(f"/api/v1/tasks/{too_big}/done").status_code == 422
    refused = bob.post(
        "/api/v1/tasks",
        {"lead_id": too_big, "title": "Call back", "due_at": "2026-03-11T10:00:00+00:00"},
        content_type="application/json",
    )
    assert refused.status_code == 422
    # +23:30 is a valid offset for Python and not for PostgreSQL: the instant is stored in UTC.
    created = bob.post(
        "/api/v1/tasks",
        {"lead_id": bob_lead.pk, "title": "Call back", "due_at": "2026-03-12T10:00:00+23:30"},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    assert FollowUp.objects.get().due_at == datetime(2026, 3, 11, 10, 30, tzinfo=UTC)
