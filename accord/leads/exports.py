"""The lead list as CSV, as filtered: the columns the import recognises, so the file imports again as
it is (into another instance, or this one, where it updates rather than duplicates). Read-only facts
are in columns named ``accord_*``, which the import names and leaves alone; the custom fields travel as
one JSON object (``custom_fields``). Streamed by ``accord.audit.exports.csv_response``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet

from accord.leads.models import Lead

CHUNK = 2000


def _username(user: Any) -> str:
    return user.username if user is not None else ""


LEAD_FIELDS = (
    "email", "salutation", "first_name", "last_name", "title", "company", "phone", "mobile", "fax",
    "website", "industry", "company_size", "annual_revenue", "rating", "street", "city", "state",
    "postal_code", "country", "lead_source", "message", "utm_source", "utm_medium", "utm_campaign",
    "utm_term", "utm_content", "consent", "consent_at", "consent_source", "consent_text",
)  # fmt: skip
LEAD_HEADER = (
    *LEAD_FIELDS, "custom_fields", "accord_id", "accord_stage", "accord_score", "accord_owner",
    "accord_source", "accord_account", "accord_created_at",
)  # fmt: skip


def lead_rows(leads: QuerySet[Lead]) -> Iterator[list[Any]]:
    """One row per lead, in the queryset's order."""
    rows = leads.select_related("owner", "source", "account").iterator(chunk_size=CHUNK)
    for lead in rows:
        yield [
            *(getattr(lead, name) for name in LEAD_FIELDS),
            json.dumps(lead.custom, ensure_ascii=False, sort_keys=True) if lead.custom else "",
            lead.pk,
            lead.stage,
            lead.score,
            _username(lead.owner),
            lead.source.name if lead.source else "",
            lead.account.name if lead.account else "",
            lead.created_at,
        ]
