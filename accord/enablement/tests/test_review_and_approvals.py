"""The committee advises, compliance and legal block: marketing publishes past the committee's comments
but never past a missing or refused gate; a deadline with no comments lets the review proceed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from accord.core.errors import AccessDenied, ApplicationError, Conflict, NotFound
from accord.core.events import events_for
from accord.enablement.models import CommitteeReview, Material, MaterialStatus, ReviewOutcome
from accord.enablement.services import (
    approval_decide,
    material_comment_add,
    material_publish,
    material_submit_review,
    reviews_remind_and_close,
)
from accord.notifications.models import Notification

MONDAY = datetime(2027, 3, 1, 10, 0, tzinfo=UTC)


@pytest.fixture
def in_review(enable, make_material):
    with time_machine.travel(MONDAY, tick=False):
        material = make_material(needs_legal=True)
        material_submit_review(material=material, user=enable.alice)
    return material


def test_the_committees_objection_does_not_block_but_a_missing_legal_approval_does(
    enable, in_review, api_client_for
):
    p = enable
    with time_machine.travel(MONDAY + timedelta(hours=2), tick=False):
        comment = material_comment_add(
            material=in_review, user=p.bob, body="Too generic for hospitals", page=2
        )
        assert comment.within_window
        review = CommitteeReview.objects.get(material=in_review)
        assert review.outcome == ReviewOutcome.ALL_COMMENTED  # bob is the whole committee

        response = api_client_for(p.alice).post(
            f"/api/v1/materials/{in_review.pk}/publish",
            {"change_note": "First version"},
            content_type="application/json",
        )
        assert response.status_code == 409
        assert "Legal approval is missing" in response.json()["message"]
        assert Material.objects.get(pk=in_review.pk).published_version_id is None

        with pytest.raises(AccessDenied, match="legal approvers"):  # the committee cannot override the gate
            approval_decide(material=in_review, user=p.bob, gate="legal", decision="approved")
        with pytest.raises(AccessDenied, match="legal approvers"):  # nor can marketing
            approval_decide(material=in_review, user=p.alice, gate="legal", decision="approved")

        approval_decide(material=in_review, user=p.lena, gate="legal", decision="approved")
        assert Material.objects.get(pk=in_review.pk).status == MaterialStatus.APPROVED
        response = api_client_for(p.alice).post(
            f"/api/v1/materials/{in_review.pk}/publish",
            {"change_note": "First version"},
            content_type="application/json",
        )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "published" and response.json()["in_library"] is True


def test_legal_asking_for_changes_blocks_publishing(enable, in_review):
    with time_machine.travel(MONDAY + timedelta(days=3), tick=False):
        reviews_remind_and_close()
        with pytest.raises(ApplicationError, match="Say what must change"):
            approval_decide(material=in_review, user=enable.lena, gate="legal", decision="rejected")
        approval_decide(
            material=in_review, user=enable.lena, gate="legal", decision="rejected", note="Claim on p.3"
        )
        with pytest.raises(Conflict, match="Legal asked for changes"):
            material_publish(material=in_review, user=enable.alice, change_note="x")


def test_a_gate_the_material_does_not_need_is_refused_and_its_approvers_do_not_see_it(enable, in_review):
    from accord.enablement.models import Approver

    with pytest.raises(NotFound):  # colin decides compliance only: this material is not his to see
        approval_decide(material=in_review, user=enable.colin, gate="compliance", decision="approved")
    Approver.objects.create(user=enable.lena, gate="compliance")
    with pytest.raises(Conflict, match="does not need compliance"):
        approval_decide(material=in_review, user=enable.lena, gate="compliance", decision="approved")


def test_marketing_waits_for_the_committee_window_then_decides(enable, make_material):
    with time_machine.travel(MONDAY, tick=False):
        material = make_material()
        material_submit_review(material=material, user=enable.alice)
        with pytest.raises(Conflict, match="sales committee has until"):
            material_publish(material=material, user=enable.alice, change_note="New")


def test_a_rep_cannot_publish_and_comments_need_an_anchor(enable, in_review):
    with pytest.raises(AccessDenied, match="marketing and admins decide"):
        material_publish(material=in_review, user=enable.bob, change_note="x")
    with pytest.raises(ApplicationError, match="Anchor the comment"):
        material_comment_add(material=in_review, user=enable.bob, body="Vague")
    with pytest.raises(NotFound):  # carol is not on the committee: a draft in review does not exist for her
        material_comment_add(material=in_review, user=enable.carol, body="x", page=1)


def test_no_comments_by_the_deadline_the_review_proceeds_and_that_is_recorded(
    enable, make_material, run_due_tasks, django_capture_on_commit_callbacks
):
    with time_machine.travel(MONDAY, tick=False), django_capture_on_commit_callbacks(execute=True):
        material = make_material()
        started = material_submit_review(material=material, user=enable.alice)
    assert started.deadline == datetime(2027, 3, 3, 10, 0, tzinfo=UTC)  # Wednesday, same hour
    with time_machine.travel(started.deadline - timedelta(minutes=1), tick=False):
        run_due_tasks()
    assert CommitteeReview.objects.get(pk=started.review.pk).outcome == ReviewOutcome.OPEN
    with time_machine.travel(started.deadline + timedelta(minutes=1), tick=False):
        assert "review_close_task" in run_due_tasks()
        run_due_tasks()  # idempotent: nothing more happens
    review = CommitteeReview.objects.get(pk=started.review.pk)
    assert review.outcome == ReviewOutcome.NO_COMMENTS
    material.refresh_from_db()
    assert material.status == MaterialStatus.APPROVED
    closed = [e for e in events_for(material) if e.type == "material.review_closed"]
    assert len(closed) == 1 and closed[0].payload["proceeded_without_comments"] is True
    assert Notification.objects.filter(user=enable.alice, kind="material_review_closed").count() == 1


def test_reviewers_who_have_not_commented_are_reminded_once_before_the_deadline(enable, make_material):
    with time_machine.travel(MONDAY, tick=False):
        material = make_material()
        started = material_submit_review(material=material, user=enable.alice)
    with time_machine.travel(started.deadline - timedelta(hours=20), tick=False):
        assert reviews_remind_and_close()["reminded"] == 0  # too early
    with time_machine.travel(started.deadline - timedelta(hours=4), tick=False):
        assert reviews_remind_and_close()["reminded"] == 1
        assert reviews_remind_and_close()["reminded"] == 0
    assert Notification.objects.filter(user=enable.bob, kind="material_review_reminder").count() == 1
    assert Notification.objects.filter(user=enable.bob, kind="material_review").count() == 1


def test_the_audit_trail_keeps_status_changes_and_who_decides_the_gates(enable, in_review):
    from accord.audit.models import ChangeRecord

    gate_records = ChangeRecord.objects.filter(object_type="enablement.approver")
    assert gate_records.filter(is_configuration=True).count() == 2  # lena (legal) and colin (compliance)
    statuses = [
        record.changes["status"]
        for record in ChangeRecord.objects.filter(
            object_type="enablement.material", object_id=str(in_review.pk)
        )
        if "status" in record.changes
    ]
    assert ["draft", "in_review"] in statuses, statuses
