"""Reads for intelligence: question results over time, survey results and trends, themes of field
reports, ride-alongs. Rows are read through ``accord.people.access``; results and themes are aggregates
over every answer and report (they name nobody)."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone

from accord.core.calendar_feed import CalendarEntry
from accord.core.errors import AccessDenied
from accord.intelligence import results as results_math
from accord.intelligence.models import (
    MARKETING_SCORE_KEY,
    MIN_ANONYMOUS_RESULTS,
    AnonymousSurveyResponse,
    FieldReport,
    PulseSurvey,
    QuestionStatus,
    ResearchAnswer,
    ResearchQuestion,
    RideAlongStatus,
    SurveyItemKind,
    SurveyResponse,
    SurveyStatus,
)
from accord.people import access
from accord.people.models import Role, User

MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip

# --- research questions ------------------------------------------------------------------------------


def active_questions(user: access.Viewer) -> list[ResearchQuestion]:
    rows = access.research_questions_visible_to(user).filter(status=QuestionStatus.ACTIVE)
    return list(rows.order_by("activated_at", "pk"))


def research_question_get(*, user: access.Viewer, question_id: int) -> ResearchQuestion:
    question: ResearchQuestion = access.access_research_question_by_id(user, question_id, action="view")
    return question


def research_questions_list(*, user: access.Viewer, status: str | None = None) -> QuerySet[ResearchQuestion]:
    rows = access.research_questions_visible_to(user).select_related("owner").order_by("-created_at", "-pk")
    return rows.filter(status=status) if status else rows


def _counts(rows: QuerySet[ResearchAnswer]) -> dict[int, dict[str, int]]:
    """How often each rep picked each option (one grouped query, never one row per answer)."""
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    for rep_id, option, n in rows.values_list("rep_id", "option").annotate(n=Count("pk")).order_by():
        counts[rep_id][option] = n
    return counts


def question_result(
    question: ResearchQuestion, *, start: datetime | None = None, end: datetime | None = None
) -> results_math.QuestionResult:
    rows = ResearchAnswer.objects.filter(question=question)
    if start is not None:
        rows = rows.filter(answered_at__gte=start)
    if end is not None:
        rows = rows.filter(answered_at__lt=end)
    return results_math.compute(
        _counts(rows), list(question.options), min_reps=question.min_reps, min_answers=question.min_answers
    )


@dataclass(frozen=True)
class PeriodResult:
    month: datetime
    result: results_math.QuestionResult

    @property
    def label(self) -> str:
        return f"{MONTHS[self.month.month - 1]} {self.month.year}"


def question_result_by_month(question: ResearchQuestion) -> list[PeriodResult]:
    """The result month by month (one grouped query: month x rep x option)."""
    by_month: dict[datetime, dict[int, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
    rows = (
        ResearchAnswer.objects.filter(question=question)
        .annotate(month=TruncMonth("answered_at"))
        .values_list("month", "rep_id", "option")
        .annotate(n=Count("pk"))
        .order_by("month")
    )
    for month, rep_id, option, n in rows:
        by_month[month][rep_id][option] = n
    return [
        PeriodResult(
            month,
            results_math.compute(
                counts, list(question.options), min_reps=question.min_reps, min_answers=question.min_answers
            ),
        )
        for month, counts in sorted(by_month.items())
    ]


# --- pulse surveys -----------------------------------------------------------------------------------


def survey_audience(survey: PulseSurvey) -> QuerySet[User]:
    """The reps a survey asks: every active rep, or one team's."""
    reps = User.objects.filter(is_active=True, roles__role=Role.SALES_REP)
    if survey.team_id:
        reps = reps.filter(team_id=survey.team_id)
    return reps.distinct()


def surveys_for(user: User) -> QuerySet[PulseSurvey]:
    """Marketing, heads and executives see every survey; reps the open and closed ones of their audience."""
    return access.pulse_surveys_visible_to(user).order_by("-opens_at", "-pk")


def survey_get(*, user: User, survey_id: int) -> PulseSurvey:
    survey: PulseSurvey = access.access_pulse_survey_by_id(user, survey_id, action="view")
    return survey


def survey_results_visible(user: User, survey: PulseSurvey) -> bool:
    """While a survey runs its results go to marketing and the heads; once closed, to its reps too."""
    return access.may_read_survey_results(user, survey)


def survey_has_answered(user: User, survey: PulseSurvey) -> bool:
    return access.survey_participations_visible_to(user).filter(survey=survey).exists()


@dataclass(frozen=True)
class ItemResult:
    key: str
    label: str
    kind: str
    responses: int
    mean: float | None = None
    distribution: tuple[tuple[str, int], ...] = ()
    texts: tuple[str, ...] = ()


@dataclass(frozen=True)
class SurveyResults:
    responses: int
    audience: int
    withheld: bool
    items: tuple[ItemResult, ...]


def _answer_sets(survey: PulseSurvey) -> list[dict[str, Any]]:
    if survey.anonymous:
        return list(AnonymousSurveyResponse.objects.filter(survey=survey).values_list("answers", flat=True))
    return list(SurveyResponse.objects.filter(survey=survey).values_list("answers", flat=True))


def survey_results(*, user: User, survey: PulseSurvey) -> SurveyResults:
    """Aggregates only. For an anonymous survey, nothing is shown below MIN_ANONYMOUS_RESULTS answers
    (one answer would be its author's), and free texts come in random order."""
    if not survey_results_visible(user, survey):
        raise AccessDenied("Results are shared with reps when the survey closes.")
    answer_sets = _answer_sets(survey)
    audience = survey_audience(survey).count()
    withheld = survey.anonymous and len(answer_sets) < MIN_ANONYMOUS_RESULTS
    items: list[ItemResult] = []
    if not withheld:
        for item in survey.items:
            values = [a[item["key"]] for a in answer_sets if item["key"] in a]
            if item["kind"] == SurveyItemKind.SCALE:
                dist = Counter(int(v) for v in values)
                items.append(
                    ItemResult(
                        item["key"],
                        item["label"],
                        item["kind"],
                        len(values),
                        mean=round(sum(values) / len(values), 2) if values else None,
                        distribution=tuple((str(s), dist.get(s, 0)) for s in range(1, 6)),
                    )
                )
            elif item["kind"] == SurveyItemKind.CHOICE:
                dist = Counter(option for picked in values for option in picked)
                items.append(
                    ItemResult(
                        item["key"],
                        item["label"],
                        item["kind"],
                        len(values),
                        distribution=tuple((o, dist.get(o, 0)) for o in item.get("options", [])),
                    )
                )
            else:
                texts = [str(v) for v in values if str(v).strip()]
                if survey.anonymous:
                    random.SystemRandom().shuffle(texts)
                else:
                    texts.sort()
                items.append(
                    ItemResult(item["key"], item["label"], item["kind"], len(texts), texts=tuple(texts))
                )
    return SurveyResults(len(answer_sets), audience, withheld, tuple(items))


@dataclass(frozen=True)
class ScorePoint:
    survey: PulseSurvey
    mean: float | None
    responses: int


def marketing_score_trend(*, limit: int = 8) -> list[ScorePoint]:
    """Reps' score of marketing (1 to 5) survey by survey, oldest first: the trend shared back with reps."""
    closed = list(PulseSurvey.objects.filter(status=SurveyStatus.CLOSED).order_by("-closes_at")[:limit])
    points = []
    for survey in reversed(closed):
        scores = [a[MARKETING_SCORE_KEY] for a in _answer_sets(survey) if MARKETING_SCORE_KEY in a]
        hidden = survey.anonymous and len(scores) < MIN_ANONYMOUS_RESULTS
        points.append(
            ScorePoint(
                survey, None if hidden or not scores else round(sum(scores) / len(scores), 2), len(scores)
            )
        )
    return points


# --- field reports -----------------------------------------------------------------------------------


def field_reports_list(
    *,
    user: access.Viewer,
    topic: str = "",
    competitor: str = "",
    product: str = "",
    corroborated: bool | None = None,
) -> QuerySet[FieldReport]:
    rows = access.field_reports_visible_to(user).select_related("author", "campaign")
    rows = rows.order_by("-created_at", "-pk")
    if topic:
        rows = rows.filter(topic=topic)
    if competitor:
        rows = rows.filter(competitor__iexact=competitor)
    if product:
        rows = rows.filter(product__iexact=product)
    if corroborated is not None:
        rows = rows.filter(corroborated_at__isnull=not corroborated)
    return rows


def field_report_get(*, user: access.Viewer, report_id: int) -> FieldReport:
    report: FieldReport = access.access_field_report_by_id(user, report_id, action="view")
    return report


@dataclass(frozen=True)
class Theme:
    tag_kind: str
    tag: str
    reports: int
    corroborated: int
    people: int
    last_90_days: int
    previous_90_days: int

    @property
    def rising(self) -> bool:
        return self.last_90_days > self.previous_90_days


def field_report_themes(*, limit: int = 30) -> list[Theme]:
    """Competitors, products and campaigns most reported, with how many are corroborated and the trend
    (last 90 days against the 90 before). Grouped queries only."""
    now = timezone.now()
    recent, before = now - timedelta(days=90), now - timedelta(days=180)
    themes: list[Theme] = []
    for tag_kind, column in (
        ("Competitor", "competitor"),
        ("Product", "product"),
        ("Campaign", "campaign__name"),
    ):
        rows = (
            FieldReport.objects.exclude(**{f"{column}__isnull": True})
            .exclude(**{column: ""})
            .values(column)
            .annotate(
                reports=Count("pk"),
                corroborated=Count("pk", filter=Q(corroborated_at__isnull=False)),
                people=Count("author", distinct=True),
                recent=Count("pk", filter=Q(created_at__gte=recent)),
                before=Count("pk", filter=Q(created_at__gte=before, created_at__lt=recent)),
            )
            .order_by("-reports")[:limit]
        )
        for row in rows:
            themes.append(
                Theme(
                    tag_kind,
                    row[column],
                    row["reports"],
                    row["corroborated"],
                    row["people"],
                    row["recent"],
                    row["before"],
                )
            )
    themes.sort(key=lambda t: (-t.reports, t.tag_kind, t.tag))
    return themes[:limit]


# --- calendar ------------------------------------------------------------------------------------------


def ride_along_calendar(user: Any, start: datetime, end: datetime) -> Any:
    """Accepted ride-alongs with a call date, in the marketer's and the rep's calendars; open pulse
    surveys' closing days in their reps' calendars."""
    rows = (
        access.ride_alongs_visible_to(user)
        .filter(
            Q(marketer=user) | Q(rep=user),
            status=RideAlongStatus.ACCEPTED,
            call_on__gte=start.date(),
            call_on__lte=end.date(),
        )
        .select_related("rep", "marketer")
    )
    for ride_along in rows:
        if ride_along.call_on is None:  # the filter excludes it; this tells the type checker
            continue
        other = ride_along.rep if ride_along.marketer_id == user.pk else ride_along.marketer
        yield CalendarEntry(
            uid=f"ride-along-{ride_along.pk}@accord",
            title=f"Ride-along with {other}",
            starts_at=ride_along.call_on,
            description=ride_along.reason,
            url=f"/intelligence/ride-alongs/#ride-along-{ride_along.pk}",
        )
    if user.has_role(Role.SALES_REP):
        for survey in (
            access.pulse_surveys_visible_to(user)
            .filter(status=SurveyStatus.OPEN, closes_at__gte=start, closes_at__lt=end)
            .filter(Q(team=None) | Q(team_id=user.team_id))
        ):
            yield CalendarEntry(
                uid=f"pulse-survey-{survey.pk}@accord",
                title=f"Pulse survey closes: {survey.title}",
                starts_at=survey.closes_at,
                url=f"/intelligence/surveys/{survey.pk}/",
            )
