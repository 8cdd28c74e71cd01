"""The submission queue: a busy form or ``POST /api/v1/submissions`` answers once the submission is
stored, and the worker makes the leads in batches (accord.intake.queue)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import OperationalError
from django_tasks_db.models import DBTaskResult

from accord.intake import queue
from accord.intake.tests.test_intake import criteria_make
from accord.leads.models import Lead, QueuedSubmission, SourceKind, SubmissionDrain, SubmissionState
from accord.leads.services import source_create

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)


@pytest.fixture
def criteria(personas):
    return criteria_make(personas.mona, personas.sam)


@pytest.fixture
def busy_form(db):
    return source_create(name="Webinar sign-up", kind=SourceKind.FORM, queue_submissions=True)


def drains_queued() -> int:
    return DBTaskResult.objects.filter(task_path__endswith="submissions_drain_task", status="READY").count()


def post_form(client, source, capture, **fields):
    with capture(execute=True):
        return client.post(f"/f/{source.public_key}", fields)


def test_a_busy_form_answers_at_once_and_the_worker_makes_the_leads(
    criteria, busy_form, client, run_due_tasks, django_capture_on_commit_callbacks
):
    with time_machine.travel(NOON, tick=False):
        for n in range(5):
            response = post_form(
                client,
                busy_form,
                django_capture_on_commit_callbacks,
                email=f"guest{n}@acme.com",
                first_name="Vera",
                title="VP Care",
                company_size="450",
                activity="demo_request",
            )
            assert response.status_code == 200
            assert b"Thank you" in response.content
    assert not Lead.objects.exists()
    assert QueuedSubmission.objects.filter(state=SubmissionState.QUEUED).count() == 5
    # Five posts, one drain task: only the post that turned the flag on enqueued it.
    assert drains_queued() == 1

    with time_machine.travel(NOON + timedelta(minutes=3), tick=False):
        assert run_due_tasks().count("submissions_drain_task") == 1

    leads = Lead.objects.order_by("email")
    assert [lead.email for lead in leads] == [f"guest{n}@acme.com" for n in range(5)]
    lead = leads[0]
    assert (lead.first_name, lead.company_size, lead.source, lead.score) == ("Vera", 450, busy_form, 90)
    # The intake moment is when the person posted, not when the worker got to it.
    assert lead.stage_changed_at == NOON
    done = QueuedSubmission.objects.get(lead=lead)
    assert (done.state, done.lead_created, done.data, done.attempts) == (SubmissionState.DONE, True, {}, 1)
    assert not SubmissionDrain.objects.get().scheduled
    # The next post schedules a fresh drain.
    post_form(client, busy_form, django_capture_on_commit_callbacks, email="late@acme.com")
    assert drains_queued() == 1


def test_a_batch_is_handed_off_together_each_lead_at_its_own_moment(
    criteria, busy_form, django_capture_on_commit_callbacks
):
    from accord.leads.models import PossibleDuplicate
    from accord.sla.models import NurtureTrack

    keen = {"first_name": "Vera", "title": "VP Care", "company_size": "450", "activity": "demo_request"}
    posts = [
        (NOON, {"email": "vera@acme.com", **keen}),
        (NOON + timedelta(minutes=1), {"email": "max@acme.com", "phone": "+1 415 555 0100", **keen}),
        (NOON + timedelta(minutes=2), {"email": "quiet@elsewhere.org", "phone": "+1 415 555 0100"}),
    ]
    for moment, data in posts:
        with time_machine.travel(moment, tick=False):
            queue.submission_enqueue(data=data, channel="form", source=busy_form)
    DBTaskResult.objects.all().delete()

    with (
        time_machine.travel(NOON + timedelta(minutes=5), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert queue.submissions_drain(batch=10) == 3

    vera, max_, quiet = (Lead.objects.get(email=data["email"]) for _, data in posts)
    assert (vera.stage, max_.stage, quiet.stage) == ("mql", "mql", "nurture")
    # One routing task for the batch's two new MQLs, not a task per lead.
    routing = list(DBTaskResult.objects.filter(task_path__contains="route_lead"))
    assert [r.task_path.rsplit(".", 1)[1] for r in routing] == ["route_leads_task"]
    assert routing[0].args_kwargs["args"] == [[vera.pk, max_.pk]]
    # The duplicate check ran over the batch: the third lead shares the second's phone.
    pair = PossibleDuplicate.objects.get()
    assert (pair.lead_id, pair.other_id) == (max_.pk, quiet.pk)
    assert pair.reason.startswith("same phone number")
    # The nurture lead entered its track when its person posted, not when the batch was drained.
    assert NurtureTrack.objects.get(lead=quiet).entered_at == NOON + timedelta(minutes=2)


def test_a_burst_reads_the_flag_instead_of_writing_it(busy_form, django_assert_num_queries):
    queue.submission_enqueue(data={"email": "first@acme.com"}, channel="form", source=busy_form)
    assert queue.drain_schedule() is True
    # A drain is scheduled: the next posts only read the flag (one statement, no write).
    with django_assert_num_queries(1) as captured:
        assert queue.drain_schedule() is False
    assert captured.captured_queries[0]["sql"].lstrip().upper().startswith("SELECT")


def test_a_bad_submission_is_refused_at_once_and_nothing_is_stored(
    busy_form, client, django_capture_on_commit_callbacks
):
    response = client.post(
        f"/f/{busy_form.public_key}", {"email": "not-an-email"}, HTTP_ACCEPT="application/json"
    )
    assert response.status_code in (400, 422)
    assert "email" in response.json()["detail"]
    assert not QueuedSubmission.objects.exists()


def test_the_api_hands_in_polls_and_gets_the_same_lead_as_the_direct_door(
    criteria, personas, api_client_for, run_due_tasks, django_capture_on_commit_callbacks
):
    api = api_client_for(personas.alice)
    body = {"email": "ana@acme.com", "first_name": "Ana", "title": "VP Care", "company_size": 450,
            "activity": "demo_request", "custom": {"webinar": "spring"}}  # fmt: skip
    with time_machine.travel(NOON, tick=False), django_capture_on_commit_callbacks(execute=True):
        answer = api.post("/api/v1/submissions", json.dumps(body), content_type="application/json")
    assert answer.status_code == 202, answer.content
    queued = answer.json()
    assert (queued["state"], queued["lead_id"]) == ("queued", None)
    assert api.get(queued["status_url"]).json()["state"] == "queued"

    with time_machine.travel(NOON + timedelta(seconds=2), tick=False):
        run_due_tasks()
    done = api.get(queued["status_url"]).json()
    assert (done["state"], done["lead_created"], done["error"]) == ("done", True, "")

    direct = api.post(
        "/api/v1/leads", json.dumps({**body, "email": "bea@acme.com"}), content_type="application/json"
    )
    assert direct.status_code == 201
    made, twin = Lead.objects.get(pk=done["lead_id"]), Lead.objects.get(pk=direct.json()["id"])
    for name in ("first_name", "title", "company_size", "score", "stage", "source_id", "custom"):
        assert getattr(made, name) == getattr(twin, name), name


def test_the_api_refuses_a_bad_field_naming_it(personas, api_client_for):
    api = api_client_for(personas.alice)
    answer = api.post(
        "/api/v1/submissions",
        json.dumps({"email": "ana@acme.com", "company_size": "lots"}),
        content_type="application/json",
    )
    assert answer.status_code == 422
    assert "company_size" in answer.json()["detail"]
    assert not QueuedSubmission.objects.exists()


def test_an_idempotency_key_hands_in_once(personas, api_client_for):
    api = api_client_for(personas.alice)
    body = json.dumps({"email": "ana@acme.com"})
    first = api.post("/api/v1/submissions", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = api.post("/api/v1/submissions", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.json()["id"] == again.json()["id"]
    assert QueuedSubmission.objects.count() == 1


def test_one_failing_submission_does_not_hold_up_the_batch_and_can_be_tried_again(
    criteria, busy_form, personas, api_client_for, monkeypatch, django_capture_on_commit_callbacks
):
    from accord.core.errors import ApplicationError
    from accord.intake import services

    for email in ("a@acme.com", "refused@acme.com", "c@acme.com"):
        queue.submission_enqueue(data={"email": email}, channel="form", source=busy_form)
    real = services.lead_intake

    def refusing(**kwargs):
        if kwargs["data"]["email"] == "refused@acme.com":
            raise ApplicationError("Refused by a rule.", detail={"email": "blocked domain"})
        return real(**kwargs)

    monkeypatch.setattr(services, "lead_intake", refusing)
    assert queue.submissions_drain() == 3
    assert sorted(Lead.objects.values_list("email", flat=True)) == ["a@acme.com", "c@acme.com"]
    failed = QueuedSubmission.objects.get(state=SubmissionState.FAILED)
    assert failed.error == "Refused by a rule. (email: blocked domain)"
    assert failed.data == {"email": "refused@acme.com"}  # kept, to be tried again

    rep, marketer = api_client_for(personas.bob), api_client_for(personas.alice)
    assert rep.post(f"/api/v1/submissions/{failed.pk}/retry").status_code == 404  # not the rep's
    assert marketer.get(f"/api/v1/submissions/{failed.pk}").json()["state"] == "failed"
    monkeypatch.setattr(services, "lead_intake", real)
    with django_capture_on_commit_callbacks(execute=True):
        retried = marketer.post(f"/api/v1/submissions/{failed.pk}/retry")
    assert retried.json()["state"] == "queued"
    assert marketer.post(f"/api/v1/submissions/{failed.pk}/retry").status_code == 409
    queue.submissions_drain()
    assert Lead.objects.filter(email="refused@acme.com").exists()
    assert QueuedSubmission.objects.get(pk=failed.pk).attempts == 2


def test_a_database_fault_mid_batch_leaves_the_whole_batch_queued(busy_form, monkeypatch):
    from accord.intake import services

    for email in ("a@acme.com", "b@acme.com"):
        queue.submission_enqueue(data={"email": email}, channel="form", source=busy_form)
    real = services.lead_intake

    def cut_off(**kwargs):
        if kwargs["data"]["email"] == "b@acme.com":
            raise OperationalError("server closed the connection unexpectedly")
        return real(**kwargs)

    monkeypatch.setattr(services, "lead_intake", cut_off)
    with pytest.raises(OperationalError):
        queue.submissions_drain()
    assert not Lead.objects.exists()
    assert QueuedSubmission.objects.filter(state=SubmissionState.QUEUED, attempts=0).count() == 2


class Deadlock(Exception):
    sqlstate = "40P01"  # what psycopg's DeadlockDetected carries


def test_a_batch_aborted_by_a_deadlock_with_another_drain_is_taken_again(busy_form, monkeypatch):
    from accord.intake import services

    for email in ("a@acme.com", "b@acme.com"):
        queue.submission_enqueue(data={"email": email}, channel="form", source=busy_form)
    real = services.lead_intake
    aborted: list[str] = []

    def deadlocked_once(**kwargs):
        if kwargs["data"]["email"] == "b@acme.com" and not aborted:
            aborted.append("b@acme.com")
            raise OperationalError("deadlock detected") from Deadlock()
        return real(**kwargs)

    monkeypatch.setattr(services, "lead_intake", deadlocked_once)
    monkeypatch.setattr(queue.time, "sleep", lambda seconds: None)
    assert queue.submissions_drain() == 2
    assert aborted == ["b@acme.com"]
    # The aborted batch rolled back whole and was worked once more: one attempt each, as if never aborted.
    assert QueuedSubmission.objects.filter(state=SubmissionState.DONE, attempts=1).count() == 2
    assert Lead.objects.count() == 2


def test_a_drain_gives_up_after_deadlocks_that_keep_coming(busy_form, monkeypatch):
    queue.submission_enqueue(data={"email": "a@acme.com"}, channel="form", source=busy_form)

    def always(batch):
        raise OperationalError("deadlock detected") from Deadlock()

    monkeypatch.setattr(queue, "_drain_batch", always)
    monkeypatch.setattr(queue.time, "sleep", lambda seconds: None)
    with pytest.raises(OperationalError):
        queue.submissions_drain()
    assert QueuedSubmission.objects.filter(state=SubmissionState.QUEUED).count() == 1


def test_a_submission_stored_while_the_flag_was_still_on_is_not_left_behind(busy_form):
    # The flag says a drain is queued, but that drain is gone (a killed worker): the sweep sees the
    # waiting submission and schedules one; the drain clears the flag and looks once more.
    SubmissionDrain.objects.create(id=queue.FLAG_ID, scheduled=True)
    QueuedSubmission.objects.create(
        received_at=NOON, channel="form", source=busy_form, data={"email": "x@acme.com"}
    )
    assert queue.drain_schedule() is False  # the flag was on: no second task
    assert queue.submissions_sweep() == 1
    assert drains_queued() == 1
    assert queue.submissions_drain() == 1
    assert Lead.objects.filter(email="x@acme.com").exists()


def test_done_submissions_are_forgotten_after_a_week(busy_form):
    old = QueuedSubmission.objects.create(
        received_at=NOON, channel="form", state=SubmissionState.DONE, processed_at=NOON
    )
    recent = QueuedSubmission.objects.create(
        received_at=NOON, channel="form", state=SubmissionState.DONE, processed_at=NOON + timedelta(days=6)
    )
    failed = QueuedSubmission.objects.create(
        received_at=NOON, channel="form", state=SubmissionState.FAILED, processed_at=NOON
    )
    queue.submissions_sweep(now=NOON + timedelta(days=8))
    assert set(QueuedSubmission.objects.values_list("pk", flat=True)) == {recent.pk, failed.pk}
    assert not QueuedSubmission.objects.filter(pk=old.pk).exists()


def test_who_follows_which_submission(personas, api_client_for):
    bob, carol = api_client_for(personas.bob), api_client_for(personas.carol)
    mine = bob.post(
        "/api/v1/submissions", json.dumps({"email": "p@acme.com"}), content_type="application/json"
    )
    assert mine.status_code == 202
    url = mine.json()["status_url"]
    assert bob.get(url).status_code == 200
    assert carol.get(url).status_code == 404
    assert api_client_for(personas.mona).get(url).status_code == 200
    assert (
        api_client_for(personas.eve)
        .post("/api/v1/submissions", json.dumps({"email": "q@acme.com"}), content_type="application/json")
        .status_code
        == 403
    )
    assert bob.get("/api/v1/submissions/99999999999999999999").status_code in (404, 422)


@pytest.mark.django_db(transaction=True)
def test_a_busy_forms_post_counts_and_stores_in_one_statement_each(client, monkeypatch):
    """On SQLite the rate count and the stored submission are one write transaction (one wait for the
    write lock); on PostgreSQL each statement is its own transaction (no BEGIN and COMMIT round trips,
    and the address's rate row is not held while the submission is stored)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    busy = source_create(name="Launch sign-up", kind=SourceKind.FORM, queue_submissions=True)
    seen: list[tuple[bool, int]] = []
    insert = queue.row_insert

    def watched(obj):
        counted = sum("ratewindow" in q["sql"] for q in connection.queries_log)
        seen.append((connection.in_atomic_block, counted))
        return insert(obj)

    monkeypatch.setattr(queue, "row_insert", watched)
    # A pinned clock: now and then (a second in 97) the count also forgets old windows, one more
    # statement this test would see.
    with time_machine.travel(NOON, tick=False), CaptureQueriesContext(connection) as captured:
        response = client.post(
            f"/f/{busy.public_key}", {"email": "vera@acme.com"}, HTTP_ACCEPT="application/json"
        )
    assert response.status_code == 200
    sqlite = connection.vendor == "sqlite"
    # Stored after the post was counted against the rate limit: inside that transaction on SQLite.
    assert seen == [(sqlite, 1)]
    statements = [q["sql"].lstrip().upper() for q in captured.captured_queries]
    writes = [q["sql"] for q in captured.captured_queries if q["sql"].lstrip().upper().startswith("INSERT")]
    # The rate count and the stored submission, one statement each (then, after the commit, the
    # drain's flag and task).
    assert "ratewindow" in writes[0] and "queuedsubmission" in writes[1]
    assert not any("ratewindow" in sql or "queuedsubmission" in sql for sql in writes[2:])
    if not sqlite:
        stored = next(i for i, sql in enumerate(statements) if "QUEUEDSUBMISSION" in sql)
        assert not any(sql.startswith(("BEGIN", "COMMIT", "SAVEPOINT")) for sql in statements[:stored])
    assert QueuedSubmission.objects.get().data == {"email": "vera@acme.com"}


def test_a_refused_post_to_a_busy_form_still_counts_against_its_rate_limit(busy_form, client):
    from accord.leads.models import Source

    Source.objects.filter(pk=busy_form.pk).update(rate_limit_per_minute=2)
    with time_machine.travel(NOON, tick=False):
        statuses = [
            client.post(
                f"/f/{busy_form.public_key}", {"email": "not-an-email"}, HTTP_ACCEPT="application/json"
            ).status_code
            for _ in range(3)
        ]
    # The refusals rolled back nothing but their own submission: the third post is over the limit.
    assert statuses[:2] in ([400, 400], [422, 422]) and statuses[2] == 429
    assert not QueuedSubmission.objects.exists()


def test_on_sqlite_a_drain_yields_longer_to_posts_that_keep_arriving(busy_form, monkeypatch):
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("only SQLite has one write lock for the whole database")
    for n in range(7):
        queue.submission_enqueue(data={"email": f"guest{n}@acme.com"}, channel="form", source=busy_form)
    pauses: list[float] = []
    monkeypatch.setattr(queue.time, "sleep", pauses.append)
    batches = iter([0.01, 0.01, 0.01, 0.01])  # how long each batch "held the lock"
    drain_batch = queue._drain_batch
    clock = [100.0]
    monkeypatch.setattr(queue.time, "monotonic", lambda: clock[0])

    def batch_then_a_post(size):
        worked = drain_batch(size)
        clock[0] += next(batches)
        if len(pauses) == 0:  # a post arrives during the first batch only
            queue.submission_enqueue(data={"email": "late@acme.com"}, channel="form", source=busy_form)
        return worked

    monkeypatch.setattr(queue, "_drain_batch", batch_then_a_post)
    assert queue.submissions_drain(batch=3) == 8
    # While posts arrive the drain leaves the lock ten times as long as its batch held it; once
    # they stop, as long as the batch.
    assert pauses == pytest.approx([0.1, 0.01, 0.01])
    assert queue._sqlite_pause(1.0, arriving=True) == queue.SQLITE_PAUSE_LONGEST


def test_a_statement_failing_half_way_through_a_lead_leaves_the_batch_usable(busy_form, monkeypatch):
    """A drained submission has no savepoint of its own around lead_intake: lead_intake's savepoints
    roll back a lead whose writes failed half-way, and the batch's transaction goes on (on
    PostgreSQL a failed statement would otherwise abort the rest of the batch)."""
    from django.db import connection

    from accord.core.models import Event
    from accord.intake import services

    for email in ("a@acme.com", "broken@acme.com", "c@acme.com"):
        queue.submission_enqueue(data={"email": email}, channel="form", source=busy_form)
    real = services.touchpoint_record_from_intake

    def breaking(*, lead, **kwargs):
        if lead.email == "broken@acme.com":
            # The lead and its intake event are written by now; the database refuses this one.
            with connection.cursor() as cursor:
                cursor.execute("INSERT INTO core_event (type) VALUES (NULL)")
        return real(lead=lead, **kwargs)

    monkeypatch.setattr(services, "touchpoint_record_from_intake", breaking)
    assert queue._drain_batch(10) == 3
    assert sorted(Lead.objects.values_list("email", flat=True)) == ["a@acme.com", "c@acme.com"]
    states = dict(QueuedSubmission.objects.values_list("data__email", "state"))
    assert states == {None: SubmissionState.DONE, "broken@acme.com": SubmissionState.FAILED}
    assert QueuedSubmission.objects.filter(state=SubmissionState.DONE).count() == 2
    # Nothing of the broken lead was kept: no lead, no event about a lead that is not there.
    lead_ids = set(Lead.objects.values_list("id", flat=True))
    assert set(Event.objects.filter(subject_type="lead").values_list("subject_id", flat=True)) <= lead_ids


def test_a_batchs_events_go_to_the_webhooks_together(busy_form, personas, django_capture_on_commit_callbacks):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accord.webhooks.models import WebhookDelivery
    from accord.webhooks.services import webhook_endpoint_create

    webhook_endpoint_create(
        actor=personas.root, name="CRM", url="http://127.0.0.1:9/hook", event_types=["lead.created"],
        allow_private=True,
    )  # fmt: skip
    for n in range(4):
        queue.submission_enqueue(data={"email": f"guest{n}@acme.com"}, channel="form", source=busy_form)
    with django_capture_on_commit_callbacks() as callbacks:
        assert queue._drain_batch(10) == 4
    with CaptureQueriesContext(connection) as after_commit:
        for callback in callbacks:
            callback()
    endpoint_reads = [q for q in after_commit.captured_queries if "webhooks_webhookendpoint" in q["sql"]]
    assert len(endpoint_reads) == 1  # one hand-over for the batch, not one per lead
    created = set(
        WebhookDelivery.objects.filter(event_type="lead.created").values_list("subject_id", flat=True)
    )
    assert created == set(Lead.objects.values_list("id", flat=True)) and len(created) == 4
