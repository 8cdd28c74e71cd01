"""Optional external qualification: new MQLs wait for a third party's verdict, with its own SLA."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django_tasks_db.models import DBTaskResult

from accord.core.events import events_for
from accord.leads.models import Stage
from accord.notifications.models import Notification, NotificationKind
from accord.routing.tasks import route_lead_task
from accord.sla.external import (
    external_qualification_configure,
    external_review_expire,
    external_review_request,
    mql_hand_off,
    mql_hand_off_many,
)
from accord.sla.models import ExternalReview, ExternalVerdict, NurtureSource, NurtureTrack


def _routes(lead) -> int:
    return DBTaskResult.objects.filter(
        task_path=route_lead_task.module_path, args_kwargs__args=[lead.pk]
    ).count()


@pytest.fixture
def external_on(personas):
    return external_qualification_configure(
        actor=personas.mona, enabled=True, provider_name="QualiCo", sla_hours=24
    )


def test_without_the_step_a_new_mql_is_routed_straight_away(
    personas, make_lead, django_capture_on_commit_callbacks
):
    lead = make_lead()
    with django_capture_on_commit_callbacks(execute=True):
        assert mql_hand_off(lead=lead) == "routed"
    assert _routes(lead) == 1 and not ExternalReview.objects.exists()


def test_with_the_step_on_a_new_mql_waits_for_review_and_is_not_routed(
    personas, make_lead, external_on, django_capture_on_commit_callbacks
):
    lead = make_lead()
    with django_capture_on_commit_callbacks(execute=True):
        assert mql_hand_off(lead=lead) == "external_review"
        assert mql_hand_off(lead=lead) == "external_review"  # asking again keeps the one review
    review = ExternalReview.objects.get()
    assert review.provider_name == "QualiCo" and review.due_at - review.requested_at == timedelta(hours=24)
    assert _routes(lead) == 0
    deadline = DBTaskResult.objects.get(task_path__endswith="external_review_due_task")
    assert deadline.run_after == review.due_at


def test_only_a_marketing_head_or_admin_configures_it(personas):
    from accord.core.errors import AccessDenied

    with pytest.raises(AccessDenied):
        external_qualification_configure(actor=personas.bob, enabled=True)


def test_the_provider_lists_pending_reviews_and_marks_one_ready_which_routes_it(
    personas, make_lead, external_on, api_client_for, django_capture_on_commit_callbacks
):
    lead = make_lead(title="VP Ops")
    review = external_review_request(lead=lead)
    client = api_client_for(personas.alice)  # the provider's account has the marketing role
    listed = client.get("/api/v1/external-reviews?status=pending").json()
    assert [(r["id"], r["lead_id"], r["status"], r["title"]) for r in listed] == [
        (review.pk, lead.pk, "pending", "VP Ops")
    ]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/api/v1/external-reviews/{review.pk}/verdict",
            {"verdict": "ready"},
            content_type="application/json",
        )
    assert response.status_code == 200 and response.json()["status"] == "ready"
    assert _routes(lead) == 1
    assert client.get("/api/v1/external-reviews").json() == []
    again = client.post(
        f"/api/v1/external-reviews/{review.pk}/verdict",
        {"verdict": "not_ready"},
        content_type="application/json",
    )
    assert again.status_code == 409


def test_not_ready_puts_the_lead_in_nurture_with_the_note_as_reason(
    personas, make_lead, external_on, api_client_for
):
    lead = make_lead()
    review = external_review_request(lead=lead)
    response = api_client_for(personas.mona).post(
        f"/api/v1/external-reviews/{review.pk}/verdict",
        {"verdict": "not_ready", "note": "no budget until Q3"},
        content_type="application/json",
    )
    assert response.status_code == 200
    lead.refresh_from_db()
    assert lead.stage == Stage.NURTURE
    track = NurtureTrack.objects.get(lead=lead)
    assert track.source == NurtureSource.EXTERNAL and track.reason.endswith("no budget until Q3")
    assert _routes(lead) == 0


def test_reps_cannot_see_or_decide_reviews_and_bad_verdicts_are_refused(
    personas, make_lead, external_on, api_client_for
):
    review = external_review_request(lead=make_lead())
    bob = api_client_for(personas.bob)
    assert bob.get("/api/v1/external-reviews").status_code == 403
    url = f"/api/v1/external-reviews/{review.pk}/verdict"
    assert bob.post(url, {"verdict": "ready"}, content_type="application/json").status_code == 403
    bad = api_client_for(personas.alice).post(url, {"verdict": "maybe"}, content_type="application/json")
    assert bad.status_code == 422 and "verdict" in bad.json()["detail"]


def test_no_verdict_by_the_deadline_tells_the_marketing_head_and_routes_the_lead(
    personas, make_lead, external_on, run_due_tasks, django_capture_on_commit_callbacks
):
    with time_machine.travel("2026-11-23 10:00 +0000", tick=False) as traveller:
        lead = make_lead()
        with django_capture_on_commit_callbacks(execute=True):
            external_review_request(lead=lead)
        assert run_due_tasks() == []
        assert not Notification.objects.filter(kind=NotificationKind.EXTERNAL_REVIEW_OVERDUE).exists()
        traveller.shift(timedelta(hours=23))
        assert run_due_tasks() == []
        traveller.shift(timedelta(hours=1, minutes=1))
        ran = run_due_tasks()
    assert ran[0] == "external_review_due_task" and "route_lead_task" in ran
    review = ExternalReview.objects.get()
    assert review.verdict == ExternalVerdict.TIMED_OUT
    (note,) = Notification.objects.filter(kind=NotificationKind.EXTERNAL_REVIEW_OVERDUE)
    assert note.user == personas.mona and "routed to sales without the verdict" in note.body
    assert "lead.external_review_timed_out" in [e.type for e in events_for(lead)]
    assert external_review_expire(review_id=review.pk) is False  # a second run does nothing


def test_a_marketing_head_turns_the_step_on_through_the_api_and_a_rep_cannot(personas, api_client_for):
    body = {"enabled": True, "provider_name": "QualiCo", "sla_hours": 8}
    head = api_client_for(personas.mona)
    assert head.put("/api/v1/external-qualification", body, content_type="application/json").json() == body
    assert head.get("/api/v1/external-qualification").json() == body
    rep = api_client_for(personas.bob)
    assert rep.put("/api/v1/external-qualification", body, content_type="application/json").status_code == 403
    assert rep.get("/api/v1/external-qualification").status_code == 403


def test_the_bulk_hand_off_holds_every_new_mql_for_review_when_the_step_is_on(
    personas, make_lead, external_on, django_capture_on_commit_callbacks
):
    leads = [make_lead(), make_lead(), make_lead(owner=personas.bob)]
    with django_capture_on_commit_callbacks(execute=True):
        assert mql_hand_off_many([lead.pk for lead in leads]) == "external_review"
    assert sorted(ExternalReview.objects.values_list("lead_id", flat=True)) == [leads[0].pk, leads[1].pk]
    assert all(_routes(lead) == 0 for lead in leads)
