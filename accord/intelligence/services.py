"""Writes for intelligence: research questions and their answers, pulse surveys, field reports and
customer research, ride-alongs. Every service asks ``accord.people.access`` whether the user may do it:
a feature check for what creates a record, ``access_<entity>_by_id`` for a write to one."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from accord.core.calendar import fiscal_calendar
from accord.core.errors import ApplicationError, Conflict
from accord.core.events import event_record
from accord.core.models import Channel
from accord.core.notify import notify
from accord.intelligence.models import (
    MARKETING_SCORE_KEY,
    MAX_ACTIVE_QUESTIONS,
    RESEARCH_ORIGINS,
    AnonymousSurveyResponse,
    Corroboration,
    FieldReport,
    PulseSurvey,
    QuestionStatus,
    ReportOrigin,
    ReportTopic,
    ResearchAnswer,
    ResearchQuestion,
    RideAlong,
    RideAlongKind,
    RideAlongStatus,
    SurveyItemKind,
    SurveyParticipation,
    SurveyResponse,
    SurveyStatus,
)
from accord.intelligence.selectors import survey_audience
from accord.intelligence.tasks import ride_along_expire_task
from accord.people import access
from accord.people.models import Role, User

RIDE_ALONG_RESPONSE_HOURS = 24

# --- research questions --------------------------------------------------------------------------


def _clean_options(options: Sequence[str]) -> list[str]:
    cleaned = [str(o).strip() for o in options if str(o).strip()]
    if len(cleaned) < 2 or len(cleaned) > 6:
        raise ApplicationError("A research question needs 2 to 6 options.", detail={"options": "give 2 to 6"})
    if len({o.lower() for o in cleaned}) != len(cleaned):
        raise ApplicationError("Options must differ from each other.", detail={"options": "repeated option"})
    if any(len(o) > 60 for o in cleaned):
        raise ApplicationError("An option is at most 60 characters.", detail={"options": "too long"})
    return cleaned


@transaction.atomic
def research_question_create(
    *,
    user: User,
    text: str,
    options: Sequence[str],
    activate: bool = False,
    min_reps: int = 5,
    min_answers: int = 20,
) -> ResearchQuestion:
    """Draft a question for reps (activated now if asked and fewer than two are active)."""
    access.require_role(user, access.RESEARCH_QUESTION_WRITER_ROLES, "write research questions")
    text = (text or "").strip()
    if not text:
        raise ApplicationError("The question needs its text.", detail={"text": "required"})
    question = ResearchQuestion(
        text=text, options=_clean_options(options), owner=user, min_reps=min_reps, min_answers=min_answers
    )
    question.full_clean()
    question.save()
    event_record(type="research_question.created", subject=question, actor=user, payload={"text": text})
    if activate:
        question = research_question_activate(user=user, question=question)
    return question


@transaction.atomic
def research_question_activate(*, user: User, question: ResearchQuestion) -> ResearchQuestion:
    """Put the question in every call; refused while two others are active."""
    question = access.access_research_question_by_id(user, question.pk, action="act", lock=True)
    if question.status == QuestionStatus.ACTIVE:
        return question
    if question.status == QuestionStatus.CLOSED:
        raise Conflict("A closed question cannot be asked again; write a new one.")
    # Lock the active ones so two marketers activating at once cannot make it three.
    active = list(ResearchQuestion.objects.select_for_update().filter(status=QuestionStatus.ACTIVE))
    if len(active) >= MAX_ACTIVE_QUESTIONS:
        raise Conflict(
            f"At most {MAX_ACTIVE_QUESTIONS} questions are asked at a time: close "
            + " or ".join(f"“{q.text}”" for q in active)
            + " first.",
            detail={"active": [q.pk for q in active]},
        )
    question.status = QuestionStatus.ACTIVE
    question.activated_at = timezone.now()
    question.save(update_fields=["status", "activated_at", "updated_at"])
    event_record(type="research_question.activated", subject=question, actor=user)
    return question


@transaction.atomic
def research_question_close(*, user: User, question: ResearchQuestion) -> ResearchQuestion:
    """Stop asking the question; its results stay."""
    question = access.access_research_question_by_id(user, question.pk, action="act", lock=True)
    if question.status != QuestionStatus.CLOSED:
        question.status = QuestionStatus.CLOSED
        question.closed_at = timezone.now()
        question.save(update_fields=["status", "closed_at", "updated_at"])
        event_record(type="research_question.closed", subject=question, actor=user)
    return question


def research_answer_record(
    *,
    user: User,
    question_id: int,
    option: str,
    touch: Any = None,
    channel: str = Channel.PAGE,
    answered_at: datetime | None = None,
) -> ResearchAnswer:
    """One rep's answer to an active question, with the touch it was given with (if any)."""
    access.require_role(user, access.RESEARCH_ANSWER_ROLES, "answer research questions")
    question = access.access_research_question_by_id(user, question_id, action="answer")
    if question.status != QuestionStatus.ACTIVE:
        raise Conflict(f"“{question.text}” is not being asked now.", detail={"question": question_id})
    if option not in question.options:
        raise ApplicationError(
            f"“{option}” is not an answer to “{question.text}”.",
            detail={"option": f"use one of: {', '.join(question.options)}"},
        )
    if touch is not None and ResearchAnswer.objects.filter(question=question, touch=touch).exists():
        raise Conflict("This question was already answered for this touch.", detail={"question": question_id})
    answer = ResearchAnswer.objects.create(
        question=question,
        rep=user,
        option=option,
        touch=touch,
        lead=getattr(touch, "lead", None),
        answered_at=answered_at or timezone.now(),
        channel=channel,
    )
    return answer


def touch_answers_take(*, touch: Any, user: User, answers: Sequence[Mapping[str, Any]]) -> None:
    """The answers a rep gave while logging a call or meeting (registered with sla in ready())."""
    if touch.kind not in ("call", "meeting"):
        raise ApplicationError(
            "Research questions are answered with a call or a meeting.", detail={"answers": "leave out"}
        )
    seen: set[int] = set()
    for answer in answers:
        try:
            question_id = int(answer["question"])
            option = str(answer["option"])
        except (KeyError, TypeError, ValueError):
            raise ApplicationError(
                "Each answer names a question and an option.", detail={"answers": "question and option"}
            ) from None
        if question_id in seen:
            raise ApplicationError("A question is answered once per touch.", detail={"answers": "repeated"})
        seen.add(question_id)
        research_answer_record(
            user=user,
            question_id=question_id,
            option=option,
            touch=touch,
            channel=touch.channel,
            answered_at=touch.occurred_at,
        )


# --- pulse surveys ----------------------------------------------------------------------------------

DEFAULT_SURVEY_ITEMS: list[dict[str, Any]] = [
    {"key": MARKETING_SCORE_KEY, "kind": "scale", "label": "How well is marketing helping you sell?"},
    {"key": "challenges", "kind": "text", "label": "What is hardest in your deals right now?"},
    {
        "key": "tools",
        "kind": "choice",
        "label": "Which marketing tools worked for you this quarter?",
        "options": ["Case studies", "Battle cards", "Webinars", "Pricing calculator", "Demo videos"],
    },
    {"key": "objections", "kind": "text", "label": "Which customer objections did you hear most?"},
]


def _clean_items(items: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    cleaned: list[dict[str, Any]] = []
    keys: set[str] = set()
    if not items or len(items) > 20:
        raise ApplicationError("A survey has 1 to 20 items.", detail={"items": "give 1 to 20"})
    for item in items:
        key = str(item.get("key", "")).strip()
        kind = str(item.get("kind", ""))
        label = str(item.get("label", "")).strip()
        if not key or not key.replace("_", "").isalnum() or len(key) > 40 or key in keys:
            raise ApplicationError(
                f"Item key {key!r} must be unique letters, digits and '_'.", detail={"items": "key"}
            )
        if kind not in SurveyItemKind.values:
            raise ApplicationError(
                f"Item kind {kind!r} is unknown.",
                detail={"items": f"use one of {', '.join(SurveyItemKind.values)}"},
            )
        if not label:
            raise ApplicationError(f"Item {key} needs a label.", detail={"items": "label"})
        entry: dict[str, Any] = {"key": key, "kind": kind, "label": label[:200]}
        if kind == SurveyItemKind.CHOICE:
            options = [str(o).strip()[:60] for o in item.get("options") or [] if str(o).strip()]
            if len(options) < 2:
                raise ApplicationError(f"Item {key} needs at least two options.", detail={"items": "options"})
            entry["options"] = options
        keys.add(key)
        cleaned.append(entry)
    return cleaned


@transaction.atomic
def survey_create(
    *,
    user: User,
    title: str,
    opens_at: datetime,
    closes_at: datetime,
    items: Sequence[Mapping[str, Any]] | None = None,
    anonymous: bool = True,
    team: Any = None,
    repeat_quarterly: bool = True,
) -> PulseSurvey:
    """Schedule a pulse survey of reps; it opens (and reps are told) at ``opens_at``."""
    access.require_role(user, access.SURVEY_WRITER_ROLES, "schedule pulse surveys")
    # A time without a zone is read as UTC, like every stored time.
    opens_at, closes_at = (
        t if timezone.is_aware(t) else timezone.make_aware(t, UTC) for t in (opens_at, closes_at)
    )
    if closes_at <= opens_at:
        raise ApplicationError("A survey closes after it opens.", detail={"closes_at": "before opens_at"})
    survey = PulseSurvey(
        title=(title or "").strip() or "Pulse survey",
        items=_clean_items(items or DEFAULT_SURVEY_ITEMS),
        anonymous=anonymous,
        opens_at=opens_at,
        closes_at=closes_at,
        team=team,
        repeat_quarterly=repeat_quarterly,
        created_by=user,
    )
    survey.full_clean()
    survey.save()
    event_record(type="survey.scheduled", subject=survey, actor=user, payload={"anonymous": anonymous})
    if opens_at <= timezone.now():
        survey_open(survey=survey)
    return survey


def _survey_url(survey: PulseSurvey) -> str:
    return reverse("intelligence:survey_detail", args=[survey.pk])


@transaction.atomic
def survey_open(*, survey: PulseSurvey) -> PulseSurvey:
    """Open a scheduled survey and tell its reps. Idempotent."""
    survey = PulseSurvey.objects.select_for_update().get(pk=survey.pk)
    if survey.status != SurveyStatus.SCHEDULED:
        return survey
    survey.status = SurveyStatus.OPEN
    survey.save(update_fields=["status", "updated_at"])
    note = " Your answers are anonymous: nobody can tell which are yours." if survey.anonymous else ""
    for rep in survey_audience(survey):
        notify(
            user=rep,
            kind="pulse_survey",
            subject=f"Pulse survey: {survey.title}",
            body=f"Open until {timezone.localtime(survey.closes_at):%d %b %H:%M}.{note}",
            url=_survey_url(survey),
        )
    return survey


def _clean_answers(survey: PulseSurvey, answers: Mapping[str, Any]) -> dict[str, Any]:
    items = {item["key"]: item for item in survey.items}
    unknown = sorted(set(answers) - set(items))
    if unknown:
        raise ApplicationError(f"Unknown items: {', '.join(unknown)}.", detail={"answers": "unknown item"})
    cleaned: dict[str, Any] = {}
    for key, item in items.items():
        value: Any = answers.get(key)
        if value is None or value in ("", []):
            continue
        if item["kind"] == SurveyItemKind.SCALE:
            try:
                score = int(value)
            except (TypeError, ValueError):
                score = 0
            if not 1 <= score <= 5:
                raise ApplicationError(f"“{item['label']}” takes 1 to 5.", detail={key: "1 to 5"})
            cleaned[key] = score
        elif item["kind"] == SurveyItemKind.CHOICE:
            picked = [value] if isinstance(value, str) else list(value)
            bad = [p for p in picked if p not in item["options"]]
            if bad:
                raise ApplicationError(
                    f"“{bad[0]}” is not an option of “{item['label']}”.", detail={key: "unknown option"}
                )
            cleaned[key] = sorted(set(picked), key=item["options"].index)
        else:
            cleaned[key] = str(value).strip()[:4000]
    if not cleaned:
        raise ApplicationError("Answer at least one item.", detail={"answers": "empty"})
    return cleaned


@transaction.atomic
def survey_respond(*, user: User, survey: PulseSurvey, answers: Mapping[str, Any]) -> None:
    """A rep answers a survey once. For an anonymous survey the answer is stored with nothing that
    leads back to the rep, and no event names them."""
    access.require_role(user, access.SURVEY_RESPONDENT_ROLES, "answer pulse surveys")
    survey = access.access_pulse_survey_by_id(user, survey.pk, action="respond", lock=True)
    if survey.status != SurveyStatus.OPEN:
        raise Conflict("This survey is not open.", detail={"survey": survey.pk})
    if SurveyParticipation.objects.filter(survey=survey, user=user).exists():
        raise Conflict("You have answered this survey already.", detail={"survey": survey.pk})
    cleaned = _clean_answers(survey, answers)
    SurveyParticipation.objects.create(survey=survey, user=user)
    if survey.anonymous:
        AnonymousSurveyResponse.objects.create(survey=survey, answers=cleaned)
    else:
        SurveyResponse.objects.create(survey=survey, respondent=user, answers=cleaned)


@transaction.atomic
def survey_close(*, survey: PulseSurvey, user: User | None = None) -> PulseSurvey:
    """Close a survey; its results go back to the reps. An anonymous survey's answers are written again
    in random order with new keys, so not even the database's row order follows who answered when."""
    if user is not None:
        survey = access.access_pulse_survey_by_id(user, survey.pk, action="close", lock=True)
    else:
        survey = PulseSurvey.objects.select_for_update().get(pk=survey.pk)
    if survey.status == SurveyStatus.CLOSED:
        return survey
    survey.status = SurveyStatus.CLOSED
    survey.save(update_fields=["status", "updated_at"])
    if survey.anonymous:
        _shuffle_rows(AnonymousSurveyResponse, survey, ["answers"])
        _shuffle_rows(SurveyParticipation, survey, ["user_id"])
    for rep in survey_audience(survey):
        notify(
            user=rep,
            kind="pulse_survey",
            subject=f"Results: {survey.title}",
            body="What reps told marketing, and how it compares with last time.",
            url=_survey_url(survey),
        )
    if survey.repeat_quarterly:
        survey_schedule_next(survey=survey)
    return survey


def _shuffle_rows(model: Any, survey: PulseSurvey, fields: list[str]) -> None:
    rows = list(model.objects.filter(survey=survey).values(*fields))
    random.SystemRandom().shuffle(rows)
    model.objects.filter(survey=survey).delete()
    model.objects.bulk_create([model(survey=survey, **row) for row in rows])


def survey_schedule_next(*, survey: PulseSurvey) -> PulseSurvey | None:
    """The same survey a quarter later (once)."""
    opens = survey.opens_at + timedelta(days=91)
    if PulseSurvey.objects.filter(title=survey.title, opens_at=opens).exists():
        return None
    return PulseSurvey.objects.create(
        title=survey.title,
        items=survey.items,
        anonymous=survey.anonymous,
        opens_at=opens,
        closes_at=survey.closes_at + timedelta(days=91),
        team=survey.team,
        repeat_quarterly=True,
        created_by=survey.created_by,
    )


def surveys_advance(*, now: datetime | None = None) -> dict[str, int]:
    """Periodic: open surveys whose time has come, remind reps who have not answered two days before
    the close (once), close surveys whose time is up. Idempotent."""
    now = now or timezone.now()
    opened = reminded = closed = 0
    for survey in PulseSurvey.objects.filter(status=SurveyStatus.SCHEDULED, opens_at__lte=now):
        survey_open(survey=survey)
        opened += 1
    for survey in PulseSurvey.objects.filter(
        status=SurveyStatus.OPEN, closes_at__gt=now, closes_at__lte=now + timedelta(days=2), reminded_at=None
    ):
        reminded += survey_remind(survey=survey)
    for survey in PulseSurvey.objects.filter(status=SurveyStatus.OPEN, closes_at__lte=now):
        survey_close(survey=survey)
        closed += 1
    return {"opened": opened, "reminded": reminded, "closed": closed}


@transaction.atomic
def survey_remind(*, survey: PulseSurvey) -> int:
    """Remind the reps who have not answered yet (read from the participation table only)."""
    survey = PulseSurvey.objects.select_for_update().get(pk=survey.pk)
    if survey.reminded_at is not None or survey.status != SurveyStatus.OPEN:
        return 0
    answered = SurveyParticipation.objects.filter(survey=survey).values("user_id")
    count = 0
    for rep in survey_audience(survey).exclude(pk__in=answered):
        notify(
            user=rep,
            kind="pulse_survey",
            subject=f"Reminder: {survey.title}",
            body=f"It closes {timezone.localtime(survey.closes_at):%d %b %H:%M}. Two minutes of your time.",
            url=_survey_url(survey),
        )
        count += 1
    survey.reminded_at = timezone.now()
    survey.save(update_fields=["reminded_at", "updated_at"])
    return count


# --- field reports and customer research --------------------------------------------------------------


@transaction.atomic
def field_report_create(
    *,
    user: User,
    topic: str,
    summary: str,
    detail: str = "",
    origin: str = ReportOrigin.SALES_CALL,
    competitor: str = "",
    product: str = "",
    campaign: Any = None,
    source_url: str = "",
    corroborates: FieldReport | None = None,
    ride_along: RideAlong | None = None,
) -> FieldReport:
    """Report what was heard; a report with a source link counts as corroborated from the start.
    ``corroborates`` names an earlier report this one backs (by another person)."""
    access.require_role(user, access.FIELD_REPORT_WRITER_ROLES, "write field reports")
    access.require(
        origin not in RESEARCH_ORIGINS or access.may_log_customer_research(user),
        "Customer research (trade shows, service calls, market research) is logged by marketing.",
    )
    if topic not in ReportTopic.values:
        raise ApplicationError(
            f"Unknown topic {topic!r}.", detail={"topic": f"use one of {', '.join(ReportTopic.values)}"}
        )
    if origin not in ReportOrigin.values:
        raise ApplicationError(
            f"Unknown origin {origin!r}.", detail={"origin": f"use one of {', '.join(ReportOrigin.values)}"}
        )
    competitor, product = competitor.strip()[:80], product.strip()[:80]
    if topic == ReportTopic.COMPETITOR and not competitor:
        raise ApplicationError(
            "Name the competitor.", detail={"competitor": "required for a competitor mention"}
        )
    if topic == ReportTopic.CAMPAIGN and campaign is None:
        raise ApplicationError("Name the campaign.", detail={"campaign": "required for campaign feedback"})
    report = FieldReport(
        author=user,
        origin=origin,
        topic=topic,
        summary=(summary or "").strip(),
        detail=(detail or "").strip(),
        competitor=competitor,
        product=product,
        campaign=campaign,
        source_url=source_url.strip(),
        ride_along=ride_along,
    )
    report.full_clean()
    if source_url:
        report.corroborated_at = timezone.now()
    report.save()
    event_record(
        type="field_report.created",
        subject=report,
        actor=user,
        payload={"topic": topic, "origin": origin, "competitor": competitor, "product": product},
    )
    if corroborates is not None:
        field_report_corroborate(user=user, report=corroborates, by_report=report)
    return report


@transaction.atomic
def field_report_corroborate(
    *,
    user: User,
    report: FieldReport,
    by_report: FieldReport | None = None,
    source_url: str = "",
    note: str = "",
) -> Corroboration:
    """Back a report with another person's report (or marketing's research) or with a source."""
    report = access.access_field_report_by_id(user, report.pk, action="corroborate")
    if by_report is not None:
        by_report = access.access_field_report_by_id(user, by_report.pk, action="view")
    source_url = source_url.strip()
    if by_report is None and not source_url:
        raise ApplicationError(
            "Corroborate with another report or a source link.", detail={"source_url": "or by_report"}
        )
    if by_report is not None:
        if by_report.pk == report.pk:
            raise ApplicationError("A report cannot back itself.", detail={"by_report": "same report"})
        if by_report.author_id == report.author_id and not by_report.is_research:
            raise ApplicationError(
                "Only another person's report, or marketing's research, backs a report.",
                detail={"by_report": "same author"},
            )
    corroboration = Corroboration(
        report=report, by_report=by_report, source_url=source_url, note=note[:300], added_by=user
    )
    corroboration.full_clean()
    corroboration.save()
    if report.corroborated_at is None:
        report.corroborated_at = timezone.now()
        report.save(update_fields=["corroborated_at", "updated_at"])
    event_record(
        type="field_report.corroborated",
        subject=report,
        actor=user,
        payload={"by_report": getattr(by_report, "pk", None)},
    )
    return corroboration


# --- ride-alongs -------------------------------------------------------------------------------------


def _ride_along_url(ride_along: RideAlong) -> str:
    return reverse("intelligence:ride_alongs") + f"#ride-along-{ride_along.pk}"


@transaction.atomic
def ride_along_request(
    *, user: User, reason: str, deal: Any = None, marketer: User | None = None
) -> RideAlong:
    """A rep asks marketing to join a call; marketing has RIDE_ALONG_RESPONSE_HOURS to accept or decline."""
    access.require_role(user, access.RIDE_ALONG_REQUESTER_ROLES, "ask marketing to join a call")
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError("Say what the call is about.", detail={"reason": "required"})
    if marketer is not None and not marketer.has_role(Role.MARKETING, Role.MARKETING_HEAD):
        raise ApplicationError(f"{marketer} is not in marketing.", detail={"marketer": "not marketing"})
    hours = getattr(settings, "ACCORD_RIDE_ALONG_RESPONSE_HOURS", RIDE_ALONG_RESPONSE_HOURS)
    ride_along = RideAlong.objects.create(
        kind=RideAlongKind.ON_DEMAND,
        status=RideAlongStatus.REQUESTED,
        rep=user,
        marketer=marketer,
        deal=deal,
        reason=reason[:300],
        respond_by=timezone.now() + timedelta(hours=hours),
    )
    event_record(type="ride_along.requested", subject=ride_along, actor=user)
    recipients = (
        [marketer]
        if marketer
        else list(
            User.objects.filter(
                is_active=True, roles__role__in=[Role.MARKETING, Role.MARKETING_HEAD]
            ).distinct()
        )
    )
    for person in recipients:
        notify(
            user=person,
            kind="ride_along",
            subject=f"{user} asks marketing to join a call",
            body=f"{reason[:200]} — accept or decline within {hours} hours.",
            url=_ride_along_url(ride_along),
        )
    transaction.on_commit(
        lambda: ride_along_expire_task.using(run_after=ride_along.respond_by).enqueue(ride_along.pk)
    )
    return ride_along


def ride_along_decide(
    *, user: User, ride_along_id: int, accept: bool, reason: str = "", call_on: Any = None
) -> RideAlong:
    """Marketing accepts (and becomes the marketer) or declines (with a reason) a request or a proposal.

    An answer after the deadline expires the ride-along as the deadline task would (kept, with the rep
    told), and is then refused."""
    with transaction.atomic():
        decided = _ride_along_decide(
            user=user, ride_along_id=ride_along_id, accept=accept, reason=reason, call_on=call_on
        )
    if decided is None:
        with transaction.atomic():
            _ride_along_expire_late(ride_along_id)
        raise Conflict("The time to answer has passed; the rep has been told.")
    return decided


def _ride_along_expire_late(ride_along_id: int) -> None:
    ride_along = RideAlong.objects.select_for_update().get(pk=ride_along_id)
    if ride_along.status in (RideAlongStatus.REQUESTED, RideAlongStatus.PROPOSED):  # else decided meanwhile
        _ride_along_expired(ride_along)


def _ride_along_expired(ride_along: RideAlong) -> None:
    """Mark a ride-along nobody answered in time as expired and tell the rep (under its row lock)."""
    ride_along.status = RideAlongStatus.EXPIRED
    ride_along.save(update_fields=["status", "updated_at"])
    event_record(type="ride_along.expired", subject=ride_along)
    notify(
        user=ride_along.rep,
        kind="ride_along",
        subject="Nobody from marketing answered in time",
        body=f"Your request “{ride_along.reason[:120]}” expired; your manager can help find someone.",
        url=_ride_along_url(ride_along),
    )


def _ride_along_decide(
    *, user: User, ride_along_id: int, accept: bool, reason: str, call_on: Any
) -> RideAlong | None:
    """The decision under the row's lock; None when the time to answer has passed."""
    access.require_role(user, access.RIDE_ALONG_DECIDER_ROLES, "accept or decline ride-alongs")
    ride_along = access.access_ride_along_by_id(user, ride_along_id, action="decide", lock=True)
    if ride_along.status not in (RideAlongStatus.REQUESTED, RideAlongStatus.PROPOSED):
        raise Conflict(f"This ride-along is already {ride_along.get_status_display().lower()}.")
    if ride_along.respond_by and ride_along.respond_by < timezone.now():
        return None
    if not accept and not reason.strip():
        raise ApplicationError(
            "Say why you decline, so the rep can ask someone else.", detail={"reason": "required"}
        )
    ride_along.status = RideAlongStatus.ACCEPTED if accept else RideAlongStatus.DECLINED
    ride_along.decided_at = timezone.now()
    ride_along.decline_reason = "" if accept else reason.strip()[:300]
    if accept:
        ride_along.marketer = user
        ride_along.call_on = call_on or ride_along.call_on
    ride_along.save()
    event_record(type=f"ride_along.{ride_along.status}", subject=ride_along, actor=user)
    notify(
        user=ride_along.rep,
        kind="ride_along",
        subject=f"{user} {'will join' if accept else 'cannot join'} your call",
        body=ride_along.decline_reason or ride_along.reason,
        url=_ride_along_url(ride_along),
    )
    return ride_along


def ride_along_expire(*, ride_along_id: int) -> bool:
    """At the deadline: a request nobody answered expires and the rep is told. Idempotent."""
    with transaction.atomic():
        ride_along = RideAlong.objects.select_for_update().filter(pk=ride_along_id).first()
        if ride_along is None or ride_along.status != RideAlongStatus.REQUESTED:
            return False
        if ride_along.respond_by and ride_along.respond_by > timezone.now():
            return False
        _ride_along_expired(ride_along)
        return True


@transaction.atomic
def rotation_propose(*, user: User, on: Any = None) -> list[RideAlong]:
    """Propose this quarter's rotation: each marketer without a ride-along this quarter is paired with
    the rep who has had the fewest (ties by name), so every rep is visited in turn."""
    access.require_role(user, access.RIDE_ALONG_ROTATION_ROLES, "propose the ride-along rotation")
    day = on or timezone.localdate()
    calendar = fiscal_calendar()
    quarter = calendar.label(day)
    start, end = calendar.quarter_bounds(day)
    marketers = (
        User.objects.filter(is_active=True, roles__role=Role.MARKETING).distinct().order_by("username")
    )
    already = set(
        RideAlong.objects.filter(quarter=quarter)
        .exclude(status=RideAlongStatus.DECLINED)
        .values_list("marketer_id", flat=True)
    )
    reps = list(
        User.objects.filter(is_active=True, roles__role=Role.SALES_REP).distinct().order_by("username")
    )
    if not reps:
        raise ApplicationError("There are no reps to ride along with.")
    visits = dict(
        RideAlong.objects.exclude(status__in=[RideAlongStatus.DECLINED, RideAlongStatus.EXPIRED])
        .values_list("rep_id")
        .annotate(n=Count("pk"))
        .values_list("rep_id", "n")
    )
    proposed: list[RideAlong] = []
    for marketer in marketers:
        if marketer.pk in already:
            continue
        rep = min(reps, key=lambda r: (visits.get(r.pk, 0), r.username))
        visits[rep.pk] = visits.get(rep.pk, 0) + 1
        ride_along = RideAlong.objects.create(
            kind=RideAlongKind.SCHEDULED,
            status=RideAlongStatus.PROPOSED,
            rep=rep,
            marketer=marketer,
            quarter=quarter,
            reason=f"Quarterly ride-along, {quarter}",
            call_on=start + (end - start) / 2,
        )
        proposed.append(ride_along)
        notify(
            user=marketer,
            kind="ride_along",
            subject=f"Your ride-along this quarter: with {rep}",
            body=f"Proposed for {quarter}; accept it and agree a call with {rep}.",
            url=_ride_along_url(ride_along),
        )
    return proposed


@transaction.atomic
def ride_along_complete(
    *,
    user: User,
    ride_along_id: int,
    notes: str,
    topic: str = ReportTopic.BUZZ,
    competitor: str = "",
    product: str = "",
) -> RideAlong:
    """The call took place: its notes are kept and feed the intelligence pages as a field report."""
    ride_along = access.access_ride_along_by_id(user, ride_along_id, action="complete", lock=True)
    if ride_along.status != RideAlongStatus.ACCEPTED:
        raise Conflict("Only an accepted ride-along can be completed.")
    notes = (notes or "").strip()
    if not notes:
        raise ApplicationError("Write what you heard.", detail={"notes": "required"})
    ride_along.status = RideAlongStatus.DONE
    ride_along.notes = notes
    ride_along.save(update_fields=["status", "notes", "updated_at"])
    field_report_create(
        user=user,
        topic=topic,
        summary=notes.splitlines()[0][:200],
        detail=notes,
        origin=ReportOrigin.RIDE_ALONG,
        competitor=competitor,
        product=product,
        ride_along=ride_along,
    )
    event_record(type="ride_along.done", subject=ride_along, actor=user)
    return ride_along
