"""Test helpers: criteria versions with rules, active or draft, and plain leads."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from accord.core.models import Event
from accord.leads.models import Lead
from accord.qualification.models import CriteriaRule, CriteriaSet, CriteriaStatus

DEFAULT_RULES: list[dict[str, Any]] = [
    {"kind": "fit", "field": "title", "operator": "contains", "value": "VP", "points": 40},
    {"kind": "fit", "field": "company_size", "operator": "gte", "value": 200, "points": 30},
    {"kind": "disqualifier", "field": "email_domain", "operator": "in", "value": ["gmail.com"], "points": 0},
]


def criteria_with_rules(
    *,
    version: int = 1,
    status: str = CriteriaStatus.DRAFT,
    threshold: int = 60,
    rules: list[dict] | None = None,
) -> CriteriaSet:
    criteria = CriteriaSet.objects.create(
        version=version,
        status=status,
        mql_threshold=threshold,
        activated_at=timezone.now() if status == CriteriaStatus.ACTIVE else None,
    )
    for i, rule in enumerate(DEFAULT_RULES if rules is None else rules):
        CriteriaRule.objects.create(criteria_set=criteria, position=i, **rule)
    return criteria


def lead_create(email: str, **fields: Any) -> Lead:
    return Lead.objects.create(email=email, email_key=email.lower(), **fields)


def intake_event(lead: Lead, *, activity: str, at: datetime, channel: str = "form") -> Event:
    return Event.objects.create(
        type="lead.intake",
        subject_type="lead",
        subject_id=lead.pk,
        channel=channel,
        occurred_at=at,
        payload={"activity": activity, "channel": channel},
    )
