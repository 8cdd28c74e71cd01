"""Writes for enablement: briefs and their agreement, materials and versions, the committee review,
blocking approvals, publishing, library shares and ratings, positioning rounds.

Every write asks ``accord.people.access`` whether the person may act, and appends an event.
"""

from __future__ import annotations

import logging
import secrets
import smtplib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F, QuerySet
from django.urls import reverse
from django.utils import timezone

from accord.campaigns import sending
from accord.core.errors import AccessDenied, ApplicationError, Conflict, NotFound
from accord.core.events import event_record
from accord.core.mail_headers import header_clean
from accord.core.models import Channel
from accord.core.notify import notify
from accord.enablement.deadlines import REVIEW_BUSINESS_DAYS, review_deadline
from accord.enablement.files import check_upload, preview_file, preview_make
from accord.enablement.models import (
    BRIEF_OUTCOMES,
    BRIEF_QUESTIONS,
    Approval,
    Approver,
    Brief,
    BriefSubject,
    Committee,
    CommitteeReview,
    Decision,
    Gate,
    Material,
    MaterialComment,
    MaterialKind,
    MaterialOrigin,
    MaterialStatus,
    MaterialUse,
    MaterialVersion,
    PositioningAnswer,
    PositioningRound,
    PreviewStatus,
    Rating,
    ReviewOutcome,
    SalesStage,
    Share,
    TeamNotice,
    UseKind,
)
from accord.enablement.notifications import (
    MATERIAL_APPROVAL,
    MATERIAL_COMMENT,
    MATERIAL_PUBLISHED,
    MATERIAL_REVIEW,
    MATERIAL_REVIEW_CLOSED,
    MATERIAL_REVIEW_REMINDER,
    POSITIONING_CLOSED,
    POSITIONING_ROUND,
)
from accord.people.access import (
    BRIEF_WRITER_ROLES,
    COMMITTEE_CHOOSER_ROLES,
    ENABLEMENT_EDITOR_ROLES,
    MARKETING_ROLES,
    SALES_ROLES,
    access_lead_by_id,
    access_material_by_id,
    briefs_visible_to,
    positioning_rounds_actionable_by,
    positioning_rounds_visible_to,
)
from accord.people.models import Role, User

logger = logging.getLogger(__name__)

BRIEF_TEXT_FIELDS = tuple(name for name, _ in BRIEF_QUESTIONS + BRIEF_OUTCOMES)
# Remind the committee when this little of the window is left and they have not commented.
REMIND_BEFORE = timedelta(hours=8)
# A prospect opening a share link again within this time is one view event on the lead, not many.
VIEW_EVENT_EVERY = timedelta(hours=1)
COMMITTEE_MAX_MEMBERS = 2


def _text(value: Any, *, field: str, required: bool = False, max_length: int | None = None) -> str:
    text = (value or "").strip() if isinstance(value, str) or value is None else str(value).strip()
    if required and not text:
        raise ApplicationError(f"The {field.replace('_', ' ')} is required.", detail={field: "is required"})
    if max_length is not None and len(text) > max_length:
        raise ApplicationError(
            f"The {field.replace('_', ' ')} is at most {max_length} characters.",
            detail={field: f"longer than {max_length} characters"},
        )
    return text


def _choice(value: str, *, field: str, choices: Any) -> str:
    if value and value not in choices.values:
        raise ApplicationError(
            f"Unknown {field}: {value!r}. Use one of {', '.join(choices.values)}.", detail={field: "unknown"}
        )
    return value


def _url(value: str) -> str:
    url = _text(value, field="url", max_length=1000)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ApplicationError(
            "A link must be a full web address starting with http:// or https://.",
            detail={"url": "not a web address"},
        )
    return url


def _after_commit(callback: Any) -> None:
    transaction.on_commit(callback, robust=True)


def _sales_people() -> QuerySet[User]:
    return (
        User.objects.filter(is_active=True, roles__role__in=list(SALES_ROLES)).distinct().order_by("username")
    )


def _material_url(material: Material) -> str:
    return reverse("enablement:material", args=[material.pk])


def sales_team_notice(*, kind: str, subject: str, body: str, url: str) -> TeamNotice:
    """Tell every active salesperson, from the worker after this transaction commits (the request does
    not grow with the size of the sales team)."""
    notice = TeamNotice.objects.create(kind=kind, subject=subject[:200], body=body, url=url)
    notice_id = notice.pk

    def enqueue() -> None:
        from accord.enablement.tasks import sales_team_notice_task

        sales_team_notice_task.enqueue(notice_id)

    _after_commit(enqueue)
    return notice


@transaction.atomic
def sales_team_notice_send(*, notice_id: int) -> int:
    """Notify every active salesperson of one notice, once (the claim and the notifications commit
    together). Returns how many were notified (0 when another run sent it)."""
    claimed = TeamNotice.objects.filter(pk=notice_id, sent_at__isnull=True).update(sent_at=timezone.now())
    if not claimed:
        return 0
    notice = TeamNotice.objects.get(pk=notice_id)
    count = 0
    for person in _sales_people().iterator(chunk_size=500):
        notify(user=person, kind=notice.kind, subject=notice.subject, body=notice.body, url=notice.url)
        count += 1
    TeamNotice.objects.filter(pk=notice_id).update(recipients=count)
    return count


# --- briefs -------------------------------------------------------------------------------------------------


@transaction.atomic
def brief_create(
    *,
    user: User,
    title: str,
    subject: str = BriefSubject.COLLATERAL,
    product: str = "",
    texts: dict[str, str] | None = None,
    channel: str = Channel.PAGE,
) -> Brief:
    """Marketing drafts a brief: the seven answers, what is in it for sales, and the agreed outcomes."""
    if not user.has_role(*ENABLEMENT_EDITOR_ROLES):
        raise AccessDenied("Marketing drafts briefs; sales add to them and accept them.")
    texts = texts or {}
    unknown = set(texts) - set(BRIEF_TEXT_FIELDS)
    if unknown:
        raise ApplicationError(
            f"Unknown brief fields: {', '.join(sorted(unknown))}.", detail={f: "unknown" for f in unknown}
        )
    brief = Brief(
        title=_text(title, field="title", required=True, max_length=200),
        subject=_choice(subject or BriefSubject.COLLATERAL, field="subject", choices=BriefSubject),
        product=_text(product, field="product", max_length=120),
        owner=user,
        **{name: _text(texts.get(name), field=name) for name in BRIEF_TEXT_FIELDS},
    )
    brief.full_clean()
    brief.save()
    event_record(
        type="brief.created", subject=brief, actor=user, channel=channel, payload={"title": brief.title}
    )
    return brief


def _brief_for_change(user: User, brief_id: int) -> Brief:
    found: Brief | None = briefs_visible_to(user).select_for_update().filter(pk=brief_id).first()
    if found is None:
        raise NotFound(f"Brief {brief_id} was not found.", detail={"id": brief_id})
    if not user.has_role(*BRIEF_WRITER_ROLES):
        raise AccessDenied("Only marketing, sales and admins change briefs.", detail={"id": brief_id})
    return found


@transaction.atomic
def brief_update(
    *,
    brief: Brief,
    user: User,
    texts: dict[str, str],
    title: str | None = None,
    product: str | None = None,
    channel: str = Channel.PAGE,
) -> Brief:
    """Marketing drafts, sales adds. A change to the text clears both acceptances: what was agreed is
    no longer what the brief says."""
    brief = _brief_for_change(user, brief.pk)
    unknown = set(texts) - set(BRIEF_TEXT_FIELDS)
    if unknown:
        raise ApplicationError(
            f"Unknown brief fields: {', '.join(sorted(unknown))}.", detail={f: "unknown" for f in unknown}
        )
    changed: list[str] = []
    for name, value in texts.items():
        new = _text(value, field=name)
        if getattr(brief, name) != new:
            setattr(brief, name, new)
            changed.append(name)
    if title is not None and title.strip() != brief.title:
        brief.title = _text(title, field="title", required=True, max_length=200)
        changed.append("title")
    if product is not None and product.strip() != brief.product:
        brief.product = _text(product, field="product", max_length=120)
        changed.append("product")
    if not changed:
        return brief
    was_agreed = brief.marketing_agreed_at is not None or brief.sales_agreed_at is not None
    brief.marketing_agreed_by = brief.sales_agreed_by = None
    brief.marketing_agreed_at = brief.sales_agreed_at = None
    brief.full_clean()
    brief.save()
    event_record(
        type="brief.changed",
        subject=brief,
        actor=user,
        channel=channel,
        payload={"fields": changed, "acceptances_cleared": was_agreed},
    )
    return brief


def brief_side_of(*, brief: Brief, user: User) -> str | None:
    """Which side ``user`` accepts for: "marketing" (the brief's marketing owner or the marketing head),
    "sales" (a salesperson), or None."""
    if (user.pk == brief.owner_id and user.has_role(*MARKETING_ROLES)) or user.has_role(Role.MARKETING_HEAD):
        return "marketing"
    if user.has_role(*SALES_ROLES):
        return "sales"
    return None


@transaction.atomic
def brief_agree(*, brief: Brief, user: User, channel: str = Channel.PAGE) -> Brief:
    """Accept the brief for one's side. Agreed when both the marketing owner and a salesperson accepted."""
    brief = _brief_for_change(user, brief.pk)
    side = brief_side_of(brief=brief, user=user)
    if side is None:
        raise AccessDenied(
            "A brief is accepted by its marketing owner (or the marketing head) and by a salesperson.",
            detail={"id": brief.pk},
        )
    missing = brief.missing_answers()
    if missing:
        raise Conflict(
            "Answer every question before accepting the brief; still open: " + "; ".join(missing),
            detail={"missing": missing},
        )
    now = timezone.now()
    if side == "marketing":
        if brief.marketing_agreed_at is not None:
            return brief
        brief.marketing_agreed_by, brief.marketing_agreed_at = user, now
    else:
        if brief.sales_agreed_at is not None:
            return brief
        brief.sales_agreed_by, brief.sales_agreed_at = user, now
    brief.save()
    event_record(type="brief.accepted", subject=brief, actor=user, channel=channel, payload={"side": side})
    if brief.is_agreed:
        event_record(
            type="brief.agreed",
            subject=brief,
            actor=user,
            channel=channel,
            payload={"marketing": brief.marketing_agreed_by_id, "sales": brief.sales_agreed_by_id},
        )
    return brief


# --- materials and versions ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class MaterialSpec:
    """What a material says about itself (the library's filters read these)."""

    title: str
    description: str = ""
    brief_id: int | None = None
    customer_facing: bool = True
    needs_compliance: bool = False
    needs_legal: bool = False
    product: str = ""
    stage: str = ""
    vertical: str = ""
    competitor: str = ""
    questions: str = ""


def _version_make(*, material: Material, user: User, upload: Any, url: str, note: str) -> MaterialVersion:
    has_file, has_url = upload is not None, bool((url or "").strip())
    if has_file == has_url:
        raise ApplicationError(
            "Give either a file or a link (not both, not neither).",
            detail={"file": "file or url", "url": "file or url"},
        )
    number = (material.versions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    version = MaterialVersion(
        material=material, number=number, note=_text(note, field="note", max_length=500), uploaded_by=user
    )
    if has_file:
        checked = check_upload(upload)
        version.original_name = checked.name
        version.content_type = checked.kind.content_type
        version.file_kind = checked.kind.label
        version.size = checked.size
        version.sha256 = checked.sha256
        version.preview_status = PreviewStatus.PENDING
        version.file.save(checked.name, upload, save=False)
    else:
        version.url = _url(url)
        version.preview_note = "A link: the page it leads to is the material."
    version.save()
    material.current_version = version
    material.kind = MaterialKind.FILE if has_file else MaterialKind.LINK
    if has_file:
        version_id = version.pk

        def enqueue() -> None:
            from accord.enablement.tasks import material_preview_task

            material_preview_task.enqueue(version_id)

        _after_commit(enqueue)
    return version


@transaction.atomic
def material_create(
    *,
    user: User,
    spec: MaterialSpec,
    upload: Any = None,
    url: str = "",
    note: str = "",
    channel: str = Channel.PAGE,
) -> Material:
    """A new material (a file checked by its content, or a link) as a draft with its first version.

    Marketing makes material; a salesperson may submit their own, which goes through the same review."""
    if not user.has_role(*BRIEF_WRITER_ROLES):
        raise AccessDenied(
            "Marketing makes material; sales may submit their own. Executives read the library."
        )
    brief = None
    if spec.brief_id is not None:
        brief = briefs_visible_to(user).filter(pk=spec.brief_id).first()
        if brief is None:
            raise ApplicationError(f"Brief {spec.brief_id} was not found.", detail={"brief": "not found"})
    material = Material(
        title=_text(spec.title, field="title", required=True, max_length=200),
        description=_text(spec.description, field="description", max_length=5000),
        brief=brief,
        kind=MaterialKind.FILE if upload is not None else MaterialKind.LINK,
        owner=user,
        origin=MaterialOrigin.MARKETING if user.has_role(*ENABLEMENT_EDITOR_ROLES) else MaterialOrigin.SALES,
        customer_facing=bool(spec.customer_facing),
        needs_compliance=bool(spec.needs_compliance),
        needs_legal=bool(spec.needs_legal),
        product=_text(spec.product or (brief.product if brief else ""), field="product", max_length=120),
        stage=_choice(spec.stage, field="stage", choices=SalesStage),
        vertical=_text(spec.vertical, field="vertical", max_length=120),
        competitor=_text(spec.competitor, field="competitor", max_length=120),
        questions=_text(spec.questions, field="questions", max_length=5000),
    )
    material.full_clean(exclude=["current_version", "published_version"])
    material.save()
    version = _version_make(material=material, user=user, upload=upload, url=url, note=note)
    material.save(update_fields=["current_version", "kind", "updated_at"])
    event_record(
        type="material.created",
        subject=material,
        actor=user,
        channel=channel,
        payload={
            "version": version.number,
            "kind": material.kind,
            "origin": material.origin,
            "brief": material.brief_id,
        },
    )
    return material


@transaction.atomic
def material_version_add(
    *,
    material: Material,
    user: User,
    upload: Any = None,
    url: str = "",
    note: str = "",
    channel: str = Channel.PAGE,
) -> MaterialVersion:
    """A new version. It goes back to draft and through review again; a published material keeps
    serving its published version in the library meanwhile."""
    material = access_material_by_id(user, material.pk, action="act", lock=True)
    if material.status == MaterialStatus.IN_REVIEW:
        raise Conflict(
            "This material is in review: add the new version once the review is decided.",
            detail={"status": material.status},
        )
    if material.status == MaterialStatus.RETIRED:
        raise Conflict("This material is retired.", detail={"status": material.status})
    if not (note or "").strip():
        raise ApplicationError("Say what changed in this version, and why.", detail={"note": "is required"})
    version = _version_make(material=material, user=user, upload=upload, url=url, note=note)
    material.status = MaterialStatus.DRAFT
    material.save(update_fields=["current_version", "kind", "status", "updated_at"])
    event_record(
        type="material.version_added",
        subject=material,
        actor=user,
        channel=channel,
        payload={"version": version.number, "note": version.note},
    )
    return version


def material_preview_generate(*, version_id: int) -> str:
    """Make the preview of one version (the worker runs this). Idempotent: a ready preview stays."""
    version = MaterialVersion.objects.filter(pk=version_id).first()
    if version is None or not version.file or version.preview_status == PreviewStatus.READY:
        return "skipped"
    with version.file.open("rb") as handle:
        data = handle.read()
    result = preview_make(data, version.content_type)
    if result.png is not None:
        image = preview_file(result.png, version.original_name or "material")
        version.preview.save(image.name or "preview.png", image, save=False)
        version.preview_status = PreviewStatus.READY
    else:
        version.preview_status = PreviewStatus.NONE
    version.preview_note = result.note[:300]
    version.save(update_fields=["preview", "preview_status", "preview_note", "updated_at"])
    return version.preview_status


# --- the committee and the review ---------------------------------------------------------------------------


@transaction.atomic
def committee_set(
    *,
    user: User,
    name: str,
    starts_on: date,
    ends_on: date,
    member_ids: list[int],
    channel: str = Channel.PAGE,
) -> Committee:
    """Choose the sales committee of a plan period: one or two reps."""
    if not user.has_role(*COMMITTEE_CHOOSER_ROLES):
        raise AccessDenied("The marketing head and the sales head choose the sales committee.")
    if ends_on < starts_on:
        raise ApplicationError("The period ends before it starts.", detail={"ends_on": "before starts_on"})
    ids = list(dict.fromkeys(member_ids))
    if not 1 <= len(ids) <= COMMITTEE_MAX_MEMBERS:
        raise ApplicationError(
            "A sales committee has one or two reps.", detail={"members": f"{len(ids)} chosen"}
        )
    members = list(User.objects.filter(pk__in=ids, is_active=True, roles__role=Role.SALES_REP).distinct())
    if len(members) != len(ids):
        raise ApplicationError(
            "Committee members must be active sales reps.",
            detail={"members": "not all are active sales reps"},
        )
    overlapping = Committee.objects.filter(starts_on__lte=ends_on, ends_on__gte=starts_on).first()
    if overlapping is not None:
        raise Conflict(
            f"{overlapping} already covers {overlapping.starts_on} to {overlapping.ends_on}; periods do not overlap.",
            detail={"period": "overlaps"},
        )
    committee = Committee(
        name=_text(name, field="name", required=True, max_length=120),
        starts_on=starts_on,
        ends_on=ends_on,
        chosen_by=user,
    )
    committee.full_clean()
    committee.save()
    committee.members.set(members)
    event_record(
        type="committee.chosen",
        subject=committee,
        actor=user,
        channel=channel,
        payload={"members": [m.pk for m in members], "starts_on": str(starts_on), "ends_on": str(ends_on)},
    )
    return committee


def committee_for(day: date) -> Committee | None:
    return Committee.objects.filter(starts_on__lte=day, ends_on__gte=day).prefetch_related("members").first()


def _current_version_id(material: Material) -> int:
    if material.current_version_id is None:
        raise Conflict("This material has no version yet.", detail={"version": "missing"})
    return material.current_version_id


def _published_version_id(material: Material) -> int:
    if material.published_version_id is None:
        raise NotFound("This material is not in the library.", detail={"id": material.pk})
    return material.published_version_id


def _open_review(material: Material) -> CommitteeReview | None:
    return (
        CommitteeReview.objects.filter(
            material=material, version_id=_current_version_id(material), outcome=ReviewOutcome.OPEN
        )
        .order_by("-submitted_at")
        .first()
    )


def _gate_state(material: Material) -> dict[str, str]:
    """Each required gate's newest decision on the current version: "approved", "rejected" or "missing"."""
    state: dict[str, str] = {}
    for gate in material.required_gates():
        latest = (
            Approval.objects.filter(version_id=_current_version_id(material), gate=gate)
            .order_by("-created_at", "-id")
            .values_list("decision", flat=True)
            .first()
        )
        state[gate] = latest or "missing"
    return state


def _settle(material: Material, *, actor: User | None, channel: str) -> None:
    """Move a material in review to approved once the committee's window is over and every blocking
    gate has approved the current version."""
    if material.status != MaterialStatus.IN_REVIEW or _open_review(material) is not None:
        return
    if any(decision != Decision.APPROVED for decision in _gate_state(material).values()):
        return
    material.status = MaterialStatus.APPROVED
    material.save(update_fields=["status", "updated_at"])
    event_record(
        type="material.approved",
        subject=material,
        actor=actor,
        channel=channel,
        payload={"version": material.current_version_id},
    )


@dataclass(frozen=True)
class ReviewStart:
    material: Material
    review: CommitteeReview | None  # None: not customer-facing, no committee preview
    deadline: datetime | None
    business_days: int


@transaction.atomic
def material_submit_review(*, material: Material, user: User, channel: str = Channel.PAGE) -> ReviewStart:
    """Send a draft to review. Customer-facing material goes to the period's sales committee with a
    deadline of two business days; the gates it needs (compliance, legal) are asked to decide."""
    material = access_material_by_id(user, material.pk, action="act", lock=True)
    if material.status != MaterialStatus.DRAFT:
        raise Conflict(
            f"Only a draft goes to review; this material is {material.get_status_display().lower()}.",
            detail={"status": material.status},
        )
    if material.current_version_id is None:
        raise Conflict("Add a file or a link first.", detail={"version": "missing"})
    now = timezone.now()
    review = None
    if material.customer_facing:
        committee = committee_for(timezone.localdate(now))
        reviewers = list(committee.members.all()) if committee else []
        review = CommitteeReview.objects.create(
            material=material,
            version_id=_current_version_id(material),
            committee=committee,
            submitted_by=user,
            submitted_at=now,
            deadline=review_deadline(reviewers, now),
            business_days=REVIEW_BUSINESS_DAYS,
        )
        review.reviewers.set(reviewers)
    material.status = MaterialStatus.IN_REVIEW
    material.save(update_fields=["status", "updated_at"])
    event_record(
        type="material.submitted_for_review",
        subject=material,
        actor=user,
        channel=channel,
        payload={
            "version": material.current_version_id,
            "deadline": review.deadline.isoformat() if review else None,
            "committee": [r.pk for r in review.reviewers.all()] if review else [],
            "no_committee": bool(review and review.committee_id is None),
            "gates": material.required_gates(),
        },
    )
    url = _material_url(material)
    if review is not None:
        for reviewer in review.reviewers.all():
            notify(
                user=reviewer,
                kind=MATERIAL_REVIEW,
                url=url,
                subject=f"Preview before {timezone.localtime(review.deadline):%a %d %b %H:%M}: {material.title}",
                body=f"{user} sent {material.title!r} to the sales committee. Comment by "
                f"{timezone.localtime(review.deadline):%Y-%m-%d %H:%M}; your comments advise marketing, "
                "who decides.",
            )
        review_id, deadline = review.pk, review.deadline

        def enqueue() -> None:
            from accord.enablement.tasks import review_close_task

            review_close_task.using(run_after=deadline).enqueue(review_id)

        _after_commit(enqueue)
    for approver in User.objects.filter(
        is_active=True, enablement_gates__gate__in=material.required_gates()
    ).distinct():
        notify(
            user=approver,
            kind=MATERIAL_APPROVAL,
            url=url,
            subject=f"Waiting for your approval: {material.title}",
            body=f"{material.title!r} needs your decision before it can be published.",
        )
    if review is None:
        _settle(material, actor=user, channel=channel)
    return ReviewStart(
        material=material,
        review=review,
        deadline=review.deadline if review else None,
        business_days=REVIEW_BUSINESS_DAYS,
    )


def _close_review(
    review: CommitteeReview, *, outcome: str, now: datetime, actor: User | None, channel: str
) -> None:
    review.outcome = outcome
    review.closed_at = now
    review.save(update_fields=["outcome", "closed_at", "updated_at"])
    material = Material.objects.select_for_update().get(pk=review.material_id)
    comments = review.comments.count()
    event_record(
        type="material.review_closed",
        subject=material,
        actor=actor,
        channel=channel,
        payload={
            "review": review.pk,
            "outcome": outcome,
            "comments": comments,
            "proceeded_without_comments": outcome == ReviewOutcome.NO_COMMENTS,
        },
    )
    what = ReviewOutcome(outcome).label
    notify(
        user=material.owner,
        kind=MATERIAL_REVIEW_CLOSED,
        url=_material_url(material),
        subject=f"Committee review closed: {material.title}",
        body=f"{what}. {comments} comment(s). The committee advises; you decide.",
    )
    _settle(material, actor=actor, channel=channel)


@transaction.atomic
def review_close_due(*, review_id: int, now: datetime | None = None) -> str:
    """Close a review whose deadline has passed (the deadline task and the sweep call this; idempotent).
    No comments by then: the review proceeds, and that is recorded."""
    now = now or timezone.now()
    review = CommitteeReview.objects.select_for_update().filter(pk=review_id).first()
    if review is None or review.outcome != ReviewOutcome.OPEN:
        return "not open"
    if review.deadline > now:
        return "not due"
    outcome = ReviewOutcome.COMMENTED if review.comments.exists() else ReviewOutcome.NO_COMMENTS
    _close_review(review, outcome=outcome, now=now, actor=None, channel=Channel.TASK)
    return outcome


def reviews_remind_and_close(*, now: datetime | None = None) -> dict[str, int]:
    """The periodic sweep: remind reviewers who have not commented when the deadline is near, and close
    reviews whose deadline passed (should a deadline task have been lost)."""
    now = now or timezone.now()
    reminded = closed = 0
    due_soon = CommitteeReview.objects.filter(
        outcome=ReviewOutcome.OPEN,
        reminded_at__isnull=True,
        deadline__gt=now,
        deadline__lte=now + REMIND_BEFORE,
    ).select_related("material")
    for review in due_soon[:500]:
        with transaction.atomic():
            claimed = CommitteeReview.objects.filter(pk=review.pk, reminded_at__isnull=True).update(
                reminded_at=now
            )
            if not claimed:
                continue
            commented = set(review.comments.values_list("author_id", flat=True))
            for reviewer in review.reviewers.exclude(pk__in=commented):
                notify(
                    user=reviewer,
                    kind=MATERIAL_REVIEW_REMINDER,
                    url=_material_url(review.material),
                    subject=f"Comments due {timezone.localtime(review.deadline):%a %H:%M}: {review.material.title}",
                    body="The committee's window closes soon. After it, the review proceeds without your comments.",
                )
                reminded += 1
    for review_id in CommitteeReview.objects.filter(
        outcome=ReviewOutcome.OPEN, deadline__lte=now
    ).values_list("pk", flat=True)[:500]:
        if review_close_due(review_id=review_id, now=now) != "not open":
            closed += 1
    return {"reminded": reminded, "closed": closed}


def may_comment(*, material: Material, user: User) -> bool:
    review = _open_review(material)
    return bool(
        user.has_role(*ENABLEMENT_EDITOR_ROLES)
        or material.owner_id == user.pk
        or (review is not None and review.reviewers.filter(pk=user.pk).exists())
        or Approver.objects.filter(user=user, gate__in=material.required_gates()).exists()
    )


@transaction.atomic
def material_comment_add(
    *,
    material: Material,
    user: User,
    body: str,
    page: int | None = None,
    quote: str = "",
    channel: str = Channel.PAGE,
) -> MaterialComment:
    """A comment anchored to a page or a quoted passage. The committee advises: comments never block."""
    material = access_material_by_id(user, material.pk, action="view", lock=True)
    if not may_comment(material=material, user=user):
        raise AccessDenied(
            "Comments come from the committee reviewing this material, its approvers, its owner and marketing.",
            detail={"id": material.pk},
        )
    if material.status not in (MaterialStatus.IN_REVIEW, MaterialStatus.APPROVED):
        raise Conflict(
            f"Comments are taken while a material is in review; this one is {material.get_status_display().lower()}.",
            detail={"status": material.status},
        )
    text = _text(body, field="body", required=True, max_length=5000)
    quote = _text(quote, field="quote", max_length=500)
    if page is not None and page < 1:
        raise ApplicationError("Pages are counted from 1.", detail={"page": "must be 1 or more"})
    if page is None and not quote:
        raise ApplicationError(
            "Anchor the comment: give the page it is about, or quote the passage.",
            detail={"page": "or quote is required"},
        )
    now = timezone.now()
    review = _open_review(material) or (
        CommitteeReview.objects.filter(material=material, version_id=material.current_version_id)
        .order_by("-submitted_at")
        .first()
    )
    comment = MaterialComment.objects.create(
        material=material,
        version_id=_current_version_id(material),
        review=review,
        author=user,
        body=text,
        page=page,
        quote=quote,
        within_window=review is None or now <= review.deadline,
    )
    event_record(
        type="material.commented",
        subject=material,
        actor=user,
        channel=channel,
        payload={"comment": comment.pk, "page": page, "quote": quote, "within_window": comment.within_window},
    )
    if material.owner_id != user.pk:
        notify(
            user=material.owner,
            kind=MATERIAL_COMMENT,
            url=_material_url(material),
            subject=f"{user} commented on {material.title}",
            body=f"{comment.anchor}: {text}",
        )
    if review is not None and review.is_open:
        reviewers = set(review.reviewers.values_list("pk", flat=True))
        commented = set(review.comments.values_list("author_id", flat=True))
        if reviewers and reviewers <= commented:
            _close_review(review, outcome=ReviewOutcome.ALL_COMMENTED, now=now, actor=user, channel=channel)
    return comment


@transaction.atomic
def approval_decide(
    *, material: Material, user: User, gate: str, decision: str, note: str = "", channel: str = Channel.PAGE
) -> Approval:
    """A blocking gate (compliance or legal) decides on the current version. Only its approvers may;
    the committee cannot, and marketing cannot publish past a gate that has not approved."""
    _choice(gate, field="gate", choices=Gate)
    _choice(decision, field="decision", choices=Decision)
    if not gate or not decision:
        raise ApplicationError(
            "Name the gate and the decision.", detail={"gate": "required", "decision": "required"}
        )
    material = access_material_by_id(user, material.pk, action="view", lock=True)
    if not Approver.objects.filter(user=user, gate=gate).exists():
        raise AccessDenied(
            f"Only the {Gate(gate).label.lower()} approvers decide this gate; the committee and marketing cannot.",
            detail={"gate": gate},
        )
    if gate not in material.required_gates():
        raise Conflict(
            f"This material does not need {Gate(gate).label.lower()} approval.", detail={"gate": gate}
        )
    if material.status not in (MaterialStatus.IN_REVIEW, MaterialStatus.APPROVED):
        raise Conflict(
            f"Gates decide on material in review; this one is {material.get_status_display().lower()}.",
            detail={"status": material.status},
        )
    if decision == Decision.REJECTED and not (note or "").strip():
        raise ApplicationError("Say what must change.", detail={"note": "is required to ask for changes"})
    approval = Approval.objects.create(
        material=material,
        version_id=_current_version_id(material),
        gate=gate,
        decision=decision,
        decided_by=user,
        note=_text(note, field="note", max_length=5000),
    )
    event_record(
        type="material.gate_decided",
        subject=material,
        actor=user,
        channel=channel,
        payload={"gate": gate, "decision": decision, "version": material.current_version_id},
    )
    if decision == Decision.REJECTED and material.status == MaterialStatus.APPROVED:
        material.status = MaterialStatus.IN_REVIEW
        material.save(update_fields=["status", "updated_at"])
    _settle(material, actor=user, channel=channel)
    notify(
        user=material.owner,
        kind=MATERIAL_COMMENT,
        url=_material_url(material),
        subject=f"{Gate(gate).label} {Decision(decision).label.lower()}: {material.title}",
        body=approval.note,
    )
    return approval


def publish_blockers(material: Material) -> list[str]:
    """Why the material cannot be published now, in words (empty: it can)."""
    reasons: list[str] = []
    for gate, state in _gate_state(material).items():
        label = Gate(gate).label
        if state == "missing":
            reasons.append(
                f"{label} approval is missing (a blocking gate; the committee cannot override it)."
            )
        elif state == Decision.REJECTED:
            reasons.append(f"{label} asked for changes (a blocking gate).")
    review = _open_review(material)
    if review is not None:
        reasons.append(
            f"The sales committee has until {timezone.localtime(review.deadline):%Y-%m-%d %H:%M} to comment."
        )
    return reasons


@transaction.atomic
def material_publish(
    *, material: Material, user: User, change_note: str, channel: str = Channel.PAGE
) -> Material:
    """Publish the current version to the library and tell the whole sales team what is new or changed
    and why. Refused (409) while a blocking approval is missing or the committee's window is open."""
    material = access_material_by_id(user, material.pk, action="decide", lock=True)
    note = _text(change_note, field="change_note", max_length=2000)
    if material.status not in (MaterialStatus.IN_REVIEW, MaterialStatus.APPROVED):
        hint = " Send it to review first." if material.status == MaterialStatus.DRAFT else ""
        raise Conflict(
            f"This material is {material.get_status_display().lower()}; only reviewed material is published.{hint}",
            detail={"status": material.status},
        )
    blockers = publish_blockers(material)
    if blockers:
        raise Conflict("Not published: " + " ".join(blockers), detail={"blockers": blockers})
    if not note:
        raise ApplicationError(
            "Say what is new or changed, and why: the whole sales team is told.",
            detail={"change_note": "is required"},
        )
    first = material.published_version_id is None
    now = timezone.now()
    material.status = MaterialStatus.PUBLISHED
    material.published_version_id = material.current_version_id
    material.published_at = now
    material.retired_at = None
    material.save(update_fields=["status", "published_version", "published_at", "retired_at", "updated_at"])
    version = material.current_version
    event_record(
        type="material.published",
        subject=material,
        actor=user,
        channel=channel,
        payload={"version": version.number if version else None, "new": first, "change_note": note},
    )
    subject = f"{'New in the library' if first else 'Updated in the library'}: {material.title}"
    lines = [
        f"{'New' if first else 'Changed'}: {material.title}"
        + (f" (version {version.number})" if version else ""),
        f"Why: {note}",
    ]
    if material.brief_id and material.brief and material.brief.is_agreed:
        brief = material.brief
        lines += [
            f"Brand message: {brief.brand_message}",
            f"Value proposition: {brief.value_proposition}",
            f"Differentiation: {brief.differentiation}",
            f"What is in it for you: {brief.whats_in_it_for_sales}",
        ]
    body = "\n".join(lines)
    url = reverse("enablement:library_material", args=[material.pk])
    sales_team_notice(kind=MATERIAL_PUBLISHED, subject=subject, body=body, url=url)
    return material


@transaction.atomic
def material_retire(*, material: Material, user: User, reason: str, channel: str = Channel.PAGE) -> Material:
    """Take a material out of the library (its share links stop working)."""
    material = access_material_by_id(user, material.pk, action="decide", lock=True)
    if material.status == MaterialStatus.RETIRED:
        return material
    if material.published_version_id is None:
        raise Conflict("Only published material is retired.", detail={"status": material.status})
    why = _text(reason, field="reason", required=True, max_length=2000)
    material.status = MaterialStatus.RETIRED
    material.retired_at = timezone.now()
    material.save(update_fields=["status", "retired_at", "updated_at"])
    event_record(
        type="material.retired", subject=material, actor=user, channel=channel, payload={"reason": why}
    )
    return material


# --- the library: opening, sharing, viewing, rating ----------------------------------------------------------


def _in_library(user: User, material_id: int) -> Material:
    material: Material = access_material_by_id(user, material_id, action="view")
    if not material.in_library:
        raise NotFound(f"Material {material_id} is not in the library.", detail={"id": material_id})
    return material


def material_opened(*, material: Material, user: User) -> None:
    """A rep opened a material from the library (counted for the reports)."""
    if material.in_library:
        MaterialUse.objects.create(material=material, kind=UseKind.OPENED, user=user, at=timezone.now())


@dataclass(frozen=True)
class SenderPreview:
    """Under whose name a share's email would go out, and why (shown before and after each send)."""

    from_email: str
    under_rep_name: bool
    reason: str


def share_sender(lead: Any) -> SenderPreview:
    """The campaigns' rule (C3): the lead's rep when they consented to send under their name, else the
    company's address. The notifications app decides (``accord.campaigns.sending.sender_for``)."""
    choice = sending.sender_for(lead)
    return SenderPreview(
        from_email=choice.from_email, under_rep_name=choice.user is not None, reason=choice.reason
    )


def share_url(share: Share) -> str:
    return f"{settings.SITE_URL}{reverse('share_view', args=[share.token])}"


@transaction.atomic
def share_create(
    *,
    material: Material,
    user: User,
    lead_id: int,
    send_email: bool = False,
    message: str = "",
    channel: str = Channel.PAGE,
) -> Share:
    """A tracked link to a library material for one lead the user works. With ``send_email`` it is
    mailed to the lead, under the rep's name only when the rep consented (else from the company)."""
    material = _in_library(user, material.pk)
    lead = access_lead_by_id(user, lead_id, action="act")
    if send_email:
        if not lead.email:
            raise ApplicationError("This lead has no email address.", detail={"lead": "no email"})
        refusal = sending.privacy_refusal(lead)
        if refusal is not None:
            raise Conflict(
                f"This person may not be emailed now ({refusal.replace('_', ' ')}); share the link another way.",
                detail={"lead": refusal},
            )
    now = timezone.now()
    share = Share.objects.create(
        material=material,
        version_id=_published_version_id(material),
        lead=lead,
        shared_by=user,
        token=secrets.token_urlsafe(24),
    )
    MaterialUse.objects.create(material=material, kind=UseKind.SHARED, user=user, lead=lead, at=now)
    event_record(
        type="material.shared",
        subject=lead,
        actor=user,
        channel=channel,
        payload={"material": material.pk, "title": material.title, "share": share.pk},
    )
    if send_email:
        sender = share_sender(lead)
        share.from_email, share.under_rep_name, share.sender_reason = (
            sender.from_email,
            sender.under_rep_name,
            sender.reason[:300],
        )
        note = _text(message, field="message", max_length=2000)
        body = (f"{note}\n\n" if note else "") + f"{material.title}: {share_url(share)}\n"
        email = EmailMessage(
            header_clean(material.title, max_length=200),
            body,
            sender.from_email,
            [lead.email],
            headers=sending.unsubscribe_headers(lead),
        )
        try:
            email.send()
        except (OSError, smtplib.SMTPException) as exc:
            raise ApplicationError(
                f"The email could not be sent: {exc}", detail={"email": "failed"}, status=502
            ) from None
        share.emailed_at = now
        share.save(
            update_fields=["from_email", "under_rep_name", "sender_reason", "emailed_at", "updated_at"]
        )
        event_record(
            type="material.emailed",
            subject=lead,
            actor=user,
            channel=channel,
            payload={
                "share": share.pk,
                "from_email": sender.from_email,
                "under_rep_name": sender.under_rep_name,
                "sender_reason": sender.reason,
            },
        )
    return share


@transaction.atomic
def share_view(*, token: str, now: datetime | None = None) -> Share:
    """A prospect opened a share link: count it, and record it on the lead (at most hourly per link)."""
    now = now or timezone.now()
    share = (
        Share.objects.select_for_update()
        .select_related("material", "version", "lead")
        .filter(token=token)
        .first()
    )
    if share is None or not share.material.in_library:
        raise NotFound("This link is not valid, or the material is no longer available.")
    first_in_a_while = share.last_viewed_at is None or now - share.last_viewed_at >= VIEW_EVENT_EVERY
    Share.objects.filter(pk=share.pk).update(
        views=F("views") + 1, last_viewed_at=now, first_viewed_at=share.first_viewed_at or now
    )
    if first_in_a_while:
        MaterialUse.objects.create(material=share.material, kind=UseKind.VIEWED, lead=share.lead, at=now)
        event_record(
            type="material.viewed",
            subject=share.lead,
            channel=Channel.EMAIL if share.emailed_at else Channel.SYSTEM,
            payload={"material": share.material_id, "title": share.material.title, "share": share.pk},
        )
    return share


@transaction.atomic
def rating_set(
    *, material: Material, user: User, usefulness: int, missing: str = "", channel: str = Channel.PAGE
) -> Rating:
    """A rep rates how useful a library material is (1-5) and says what is missing. One per person."""
    material = _in_library(user, material.pk)
    if not user.has_role(*SALES_ROLES, *ENABLEMENT_EDITOR_ROLES):
        raise AccessDenied("Sales and marketing rate library material.")
    try:
        score = int(usefulness)
    except (TypeError, ValueError):
        raise ApplicationError(
            "Rate usefulness from 1 to 5.", detail={"usefulness": "not a number"}
        ) from None
    if not 1 <= score <= 5:
        raise ApplicationError("Rate usefulness from 1 to 5.", detail={"usefulness": "must be 1 to 5"})
    rating, _ = Rating.objects.update_or_create(
        material=material,
        user=user,
        defaults={"usefulness": score, "missing": _text(missing, field="missing", max_length=2000)},
    )
    event_record(
        type="material.rated",
        subject=material,
        actor=user,
        channel=channel,
        payload={"usefulness": score, "missing": rating.missing},
    )
    return rating


# --- positioning input rounds ----------------------------------------------------------------------------------


@transaction.atomic
def positioning_round_open(
    *, user: User, product: str, deadline: datetime, question: str = "", channel: str = Channel.PAGE
) -> PositioningRound:
    """Ask sales how they would position a new product against the line and which objections they
    expect (not copy, not price), by a deadline."""
    if not user.has_role(*ENABLEMENT_EDITOR_ROLES):
        raise AccessDenied("Marketing opens positioning rounds.")
    if timezone.is_naive(deadline):
        raise ApplicationError("The deadline needs a time zone.", detail={"deadline": "naive"})
    if deadline <= timezone.now():
        raise ApplicationError("The deadline must be in the future.", detail={"deadline": "in the past"})
    round_ = PositioningRound.objects.create(
        product=_text(product, field="product", required=True, max_length=120),
        question=_text(question, field="question", max_length=2000),
        deadline=deadline,
        opened_by=user,
    )
    event_record(
        type="positioning.opened",
        subject=round_,
        actor=user,
        channel=channel,
        payload={"product": round_.product, "deadline": deadline.isoformat()},
    )
    url = reverse("enablement:positioning_round", args=[round_.pk])
    sales_team_notice(
        kind=POSITIONING_ROUND,
        url=url,
        subject=f"Your view on positioning {round_.product}",
        body=f"How would you position {round_.product} against our line, and which objections do you expect? "
        f"Answer by {timezone.localtime(deadline):%Y-%m-%d %H:%M}. Not copy, not price.",
    )
    round_id = round_.pk
    _after_commit(lambda: _enqueue_round_close(round_id, deadline))
    return round_


def _enqueue_round_close(round_id: int, deadline: datetime) -> None:
    from accord.enablement.tasks import positioning_round_close_task

    positioning_round_close_task.using(run_after=deadline).enqueue(round_id)


@transaction.atomic
def positioning_answer_set(
    *,
    round_id: int,
    user: User,
    against_existing_line: str,
    expected_objections: str,
    notes: str = "",
    channel: str = Channel.PAGE,
) -> PositioningAnswer:
    """A salesperson's answer (changeable until the deadline)."""
    round_ = positioning_rounds_visible_to(user).select_for_update().filter(pk=round_id).first()
    if round_ is None:
        raise NotFound(f"Positioning round {round_id} was not found.", detail={"id": round_id})
    if not user.has_role(*SALES_ROLES):
        raise AccessDenied("Sales answer positioning rounds; marketing reads and summarises them.")
    if not round_.is_open or timezone.now() >= round_.deadline:
        raise Conflict(
            "This round is closed: its deadline has passed.", detail={"deadline": round_.deadline.isoformat()}
        )
    answer, created = PositioningAnswer.objects.update_or_create(
        round=round_,
        respondent=user,
        defaults={
            "against_existing_line": _text(
                against_existing_line, field="against_existing_line", required=True, max_length=5000
            ),
            "expected_objections": _text(
                expected_objections, field="expected_objections", required=True, max_length=5000
            ),
            "notes": _text(notes, field="notes", max_length=5000),
        },
    )
    event_record(
        type="positioning.answered",
        subject=round_,
        actor=user,
        channel=channel,
        payload={"changed": not created},
    )
    return answer


@transaction.atomic
def positioning_round_close_due(*, round_id: int, now: datetime | None = None) -> str:
    """Close a round at its deadline and send marketing the summary (idempotent)."""
    now = now or timezone.now()
    round_ = PositioningRound.objects.select_for_update().filter(pk=round_id).first()
    if round_ is None or round_.closed_at is not None:
        return "not open"
    if round_.deadline > now:
        return "not due"
    round_.closed_at = now
    round_.save(update_fields=["closed_at", "updated_at"])
    answers = round_.answers.count()
    event_record(
        type="positioning.closed", subject=round_, channel=Channel.TASK, payload={"answers": answers}
    )
    notify(
        user=round_.opened_by,
        kind=POSITIONING_CLOSED,
        url=reverse("enablement:positioning_round", args=[round_.pk]),
        subject=f"Positioning input closed: {round_.product} ({answers} answers)",
        body=f"{answers} salespeople answered. Read the summary of their positioning and expected objections.",
    )
    return "closed"


@transaction.atomic
def positioning_summary_set(
    *, round_id: int, user: User, summary: str, channel: str = Channel.PAGE
) -> PositioningRound:
    """Marketing's written summary of what sales said."""
    round_ = positioning_rounds_visible_to(user).select_for_update().filter(pk=round_id).first()
    if round_ is None:
        raise NotFound(f"Positioning round {round_id} was not found.", detail={"id": round_id})
    if not positioning_rounds_actionable_by(user).filter(pk=round_id).exists():
        raise AccessDenied("Marketing summarises positioning rounds.")
    round_.summary = _text(summary, field="summary", required=True, max_length=10000)
    round_.save(update_fields=["summary", "updated_at"])
    event_record(type="positioning.summarised", subject=round_, actor=user, channel=channel, payload={})
    return round_


def positioning_rounds_close_due(*, now: datetime | None = None) -> int:
    now = now or timezone.now()
    ids = list(
        PositioningRound.objects.filter(closed_at__isnull=True, deadline__lte=now).values_list(
            "pk", flat=True
        )[:200]
    )
    return sum(1 for round_id in ids if positioning_round_close_due(round_id=round_id, now=now) == "closed")
