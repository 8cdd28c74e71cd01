"""Reads for communications: who may manage and read them, their recipients, deliveries, tracked
clicks, and the A/B verdict of their variants."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.db.models import Count, DateTimeField, Exists, ExpressionWrapper, F, OuterRef, Q, QuerySet
from django.urls import reverse

from accord.campaigns.models import (
    METRIC_OUTCOMES,
    OUTCOME_FIELDS,
    Audience,
    Campaign,
    Communication,
    Delivery,
    DeliveryStatus,
    SuccessMetric,
    Touchpoint,
)
from accord.campaigns.selectors import MQL_OR_BEYOND, can_manage_campaigns
from accord.core import abtest
from accord.core.errors import AccessDenied, NotFound
from accord.core.models import Event
from accord.people import access
from accord.people.models import User

# Who may create, edit and send communications (as for campaigns), and who may read their results.
COMMUNICATION_READER_ROLES = access.COMMUNICATION_READER_ROLES
CLICK_SALT = "accord.campaigns.click"
ALPHA = abtest.ALPHA
TEST_EXPLANATION = (
    "Each recipient gets one variant, picked by a fixed hash of the person and the communication in "
    "proportion to the weights, so the groups differ only by chance. A variant's trials are the "
    "people it was delivered to; its conversions are those who did the success metric within the "
    "window after their send. Each variant is compared with A (the control) by a two-sided "
    "two-proportion z-test (pooled rate); the interval is the Wald confidence interval of the "
    'difference in conversion rate. "Not enough data yet" means neither the test nor the '
    "interval can tell the variants apart and each variant has fewer recipients than the test needs "
    "to notice a change of a fifth of A's rate (at least half a point) with 80% power."
)


def can_manage_communications(user: User) -> bool:
    return can_manage_campaigns(user)


def can_read_communications(user: User) -> bool:
    return user.is_authenticated and user.is_active and user.has_role(*COMMUNICATION_READER_ROLES)


def communications_visible_to(user: User) -> QuerySet[Communication]:
    """Marketing, sales, executives and admins read every communication and its result."""
    return access.communications_visible_to(user)


def communication_get(*, user: User, communication_id: int) -> Communication:
    communication = (
        communications_visible_to(user)
        .select_related("campaign", "created_by")
        .filter(pk=communication_id)
        .first()
    )
    if communication is None:
        raise NotFound(f"Communication {communication_id} was not found.", detail={"id": communication_id})
    return communication


def communication_listing(*, user: User, campaign: Campaign | None = None) -> list[Communication]:
    """Communications (of one campaign, or all) with their variant count and deliveries; fixed queries."""
    qs = communications_visible_to(user).select_related("campaign")
    if campaign is not None:
        qs = qs.filter(campaign=campaign)
    return list(
        qs.annotate(
            variant_count=Count("variants", distinct=True),
            sent_count=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.SENT), distinct=True),
        )
    )


def communication_recipients(*, communication: Communication, lead_ids: Iterable[int] | None = None) -> Any:
    """The leads a send goes to: ``lead_ids`` as given, else the audience (live leads with an email:
    everyone, or those touched by the campaign; optionally only one stage). Ordered by id."""
    from accord.leads.models import Lead

    if lead_ids is not None:
        qs = Lead.objects.filter(pk__in=list(lead_ids))
    else:
        qs = Lead.objects.live().filter(trash__isnull=True).exclude(email="")
        if communication.audience == Audience.CAMPAIGN:
            qs = qs.filter(
                pk__in=Touchpoint.objects.filter(campaign_id=communication.campaign_id).values("lead_id")
            )
        if communication.audience_stage:
            qs = qs.filter(stage=communication.audience_stage)
    return qs.select_related("owner", "account__owner").order_by("pk")


def click_url(*, delivery_id: int, url: str) -> str:
    """The absolute tracked link for ``url`` in one delivery: /c/<token>, signed so it cannot be
    turned into a redirect to anywhere else."""
    token = signing.Signer(salt=CLICK_SALT).sign_object({"d": delivery_id, "u": url}, compress=True)
    return settings.SITE_URL + reverse("campaigns:click", args=[token])


def click_target(token: str) -> tuple[Delivery, str] | None:
    """The delivery and the web address a tracked link names, or None when forged or gone."""
    try:
        data = signing.Signer(salt=CLICK_SALT).unsign_object(token)
    except (signing.BadSignature, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("d"), int) or not isinstance(data.get("u"), str):
        return None
    url = data["u"]
    if not url.startswith(("http://", "https://")):
        return None
    delivery = Delivery.objects.select_related("communication__campaign", "variant", "lead").filter(
        pk=data["d"]
    )
    found = delivery.first()
    return (found, url) if found is not None else None


def deliveries_visible_to(*, user: User, communication: Communication) -> QuerySet[Delivery]:
    """Deliveries of ``communication`` to leads the user may see (a rep: their own and their team's)."""
    return access.deliveries_visible_to(user).filter(communication=communication)


def deliveries_actionable_by(*, user: User, communication: Communication, limit: int = 200) -> list[Delivery]:
    """Deliveries whose outcome the user may record: every one they see for marketing, else those to the
    leads they act on (their own and those of everyone they manage); see accord.people.access."""
    return list(
        access.deliveries_actionable_by(user)
        .filter(communication=communication, status=DeliveryStatus.SENT)
        .select_related("lead", "variant")
        .order_by("-sent_at", "-id")[:limit]
    )


def delivery_get_for_outcome(*, user: User, communication: Communication, lead_id: int) -> Delivery:
    """The delivery of ``communication`` to the lead, if the user may record its outcomes.

    NotFound when the lead did not get it or the user does not see the lead; AccessDenied when they
    see the lead but may not act on it. Marketing records outcomes for anyone (integrations, imports).
    """
    delivery = (
        deliveries_visible_to(user=user, communication=communication)
        .select_related("lead", "variant", "communication")
        .filter(lead_id=lead_id)
        .first()
    )
    if delivery is None:
        raise NotFound(f"Lead {lead_id} did not get this communication.", detail={"lead_id": lead_id})
    if not access.deliveries_actionable_by(user).filter(pk=delivery.pk).exists():
        raise AccessDenied(
            f"Only marketing, the lead's owner and the people who manage them record outcomes for lead {lead_id}.",
            detail={"lead_id": lead_id},
        )
    return delivery


@dataclass
class VariantStats:
    """One variant's counts: trials are sent deliveries, conversions those that met the metric in time."""

    key: str
    subject: str
    weight: int
    trials: int = 0
    conversions: int = 0
    failed: int = 0
    opened: int = 0
    clicked: int = 0
    replied: int = 0
    meetings: int = 0

    @property
    def name(self) -> str:
        return f"Variant {self.key}"

    @property
    def rate(self) -> float:
        return self.conversions / self.trials if self.trials else 0.0


@dataclass
class CommunicationResult:
    """The A/B verdict of a communication: counts per variant, each variant against A, in plain words."""

    communication: Communication
    metric: str
    window_days: int
    variants: list[VariantStats]
    comparisons: list[abtest.TestResult]
    alpha: float
    correction: str
    summary: str
    explanation: str = TEST_EXPLANATION

    @property
    def trials(self) -> int:
        return sum(v.trials for v in self.variants)


def _converted(communication: Communication) -> Q:
    """A sent delivery whose recipient met the success metric within the window after the send."""
    window = timedelta(days=communication.success_window_days)
    if communication.success_metric == SuccessMetric.MQL:
        return Q(became_mql=True)
    field = OUTCOME_FIELDS[METRIC_OUTCOMES[communication.success_metric]]
    return Q(**{f"{field}__isnull": False, f"{field}__lte": F("sent_at") + window})


def _delivery_rows(communication: Communication) -> QuerySet[Delivery]:
    qs = Delivery.objects.filter(communication=communication)
    if communication.success_metric == SuccessMetric.MQL:
        window = timedelta(days=communication.success_window_days)
        # Became an MQL: the lead's first arrival at MQL or beyond (a stage event) in the window.
        qs = qs.annotate(
            became_mql=Exists(
                Event.objects.filter(
                    subject_type="lead",
                    subject_id=OuterRef("lead_id"),
                    stage__in=MQL_OR_BEYOND,
                    occurred_at__gte=OuterRef("sent_at"),
                    occurred_at__lte=ExpressionWrapper(
                        OuterRef("sent_at") + window, output_field=DateTimeField()
                    ),
                )
            )
        )
    return qs


def communication_result(*, communication: Communication) -> CommunicationResult:
    """Trials and conversions per variant from the deliveries (one aggregate query), then every variant
    judged against A with ``abtest.compare``. With more than two variants the significance level is
    Bonferroni-corrected (alpha divided by the number of comparisons), which also widens the intervals
    and raises the sample size each variant needs."""
    variants = list(communication.variants.order_by("key"))
    stats = {v.key: VariantStats(v.key, v.effective_subject, v.weight) for v in variants}
    sent = Q(status=DeliveryStatus.SENT)
    rows = (
        _delivery_rows(communication)
        .order_by()
        .values("variant__key")
        .annotate(
            trials=Count("id", filter=sent),
            conversions=Count("id", filter=sent & _converted(communication)),
            failed=Count("id", filter=Q(status=DeliveryStatus.FAILED)),
            opened=Count("id", filter=sent & Q(opened_at__isnull=False)),
            clicked=Count("id", filter=sent & Q(clicked_at__isnull=False)),
            replied=Count("id", filter=sent & Q(replied_at__isnull=False)),
            meetings=Count("id", filter=sent & Q(meeting_booked_at__isnull=False)),
        )
    )
    for row in rows:
        s = stats[row["variant__key"]]
        for name in ("trials", "conversions", "failed", "opened", "clicked", "replied", "meetings"):
            setattr(s, name, row[name])
    ordered = [stats[v.key] for v in variants]
    comparisons_wanted = max(len(ordered) - 1, 0)
    alpha = ALPHA / comparisons_wanted if comparisons_wanted > 1 else ALPHA
    correction = (
        f"Bonferroni: {comparisons_wanted} comparisons with A, each at a significance level of "
        f"{ALPHA:g} / {comparisons_wanted} = {alpha:.4f}, so the chance of any false winner stays at "
        f"most {ALPHA:.0%}; intervals are {1 - alpha:.1%} intervals."
        if comparisons_wanted > 1
        else f"None needed: one comparison at a significance level of {ALPHA:g} (95% intervals)."
    )
    comparisons: list[abtest.TestResult] = []
    if ordered:
        control = abtest.Variant(ordered[0].name, ordered[0].conversions, ordered[0].trials)
        for other in ordered[1:]:
            comparisons.append(
                abtest.compare(
                    control, abtest.Variant(other.name, other.conversions, other.trials), alpha=alpha
                )
            )
    metric = SuccessMetric(communication.success_metric).label.lower()
    if not ordered or not any(s.trials for s in ordered):
        summary = "Nothing delivered yet: the verdict appears once people got the variants."
    elif not comparisons:
        summary = "Only one variant: there is nothing to compare. Add a variant B in a new communication."
    else:
        summary = " ".join(c.verdict + "." for c in comparisons)
    return CommunicationResult(
        communication=communication,
        metric=f"{metric} within {communication.success_window_days} days",
        window_days=communication.success_window_days,
        variants=ordered,
        comparisons=comparisons,
        alpha=alpha,
        correction=correction,
        summary=summary,
    )


def communication_send_runs(*, communication: Communication, limit: int = 20) -> list[Event]:
    """The communication's sends with their counts (sent, skipped and why), newest first."""
    return list(
        Event.objects.filter(
            subject_type="communication", subject_id=communication.pk, type="communication.send_run"
        )
        .select_related("actor")
        .order_by("-occurred_at", "-id")[:limit]
    )


DELIVERY_CSV_HEADER = (
    "communication",
    "variant",
    "subject",
    "lead_id",
    "name",
    "email",
    "company",
    "status",
    "sent_at",
    "opened_at",
    "clicked_at",
    "replied_at",
    "meeting_booked_at",
)


def delivery_csv_rows(*, user: User, communication: Communication) -> list[list[Any]]:
    """One row per delivery to a lead the user may see (the CSV export)."""
    rows = []
    for d in (
        deliveries_visible_to(user=user, communication=communication)
        .select_related("lead", "variant")
        .order_by("sent_at", "id")
    ):
        rows.append(
            [
                communication.name,
                d.variant.key,
                d.variant.subject or communication.subject,
                d.lead_id,
                f"{d.lead.first_name} {d.lead.last_name}".strip(),
                d.lead.email,
                d.lead.company,
                d.status,
                d.sent_at,
                d.opened_at,
                d.clicked_at,
                d.replied_at,
                d.meeting_booked_at,
            ]
        )
    return rows
