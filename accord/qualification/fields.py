"""The lead fields criteria rules may look at, and how a lead becomes a record of those fields.

Both engines read records with exactly these keys: ``lead_record`` builds one from a Lead,
``accord.qualification.bulk.records_frame`` builds a table of them straight from SQL; both go
through ``record_from_values`` so the values agree.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from accord.core.geography import country_code, region_code
from accord.core.rows import row_related

if TYPE_CHECKING:
    from accord.leads.models import Lead
    from accord.qualification.engine import Activity

CUSTOM_PREFIX = "custom."
# Fields holding a country (compared as ISO 3166-1 codes) and a region (ISO 3166-2 where recognised).
COUNTRY_FIELDS = frozenset({"country", "account.country"})
REGION_FIELDS = frozenset({"state"})


@dataclass(frozen=True)
class FieldDef:
    """One field rules may use: its name, ``text`` or ``number``, and a label for explanations."""

    name: str
    type: str
    label: str


FIELDS: dict[str, FieldDef] = {
    f.name: f
    for f in (
        FieldDef("email", "text", "email"),
        FieldDef("email_domain", "text", "email domain"),
        FieldDef("first_name", "text", "first name"),
        FieldDef("last_name", "text", "last name"),
        FieldDef("title", "text", "title"),
        FieldDef("company", "text", "company"),
        FieldDef("phone", "text", "phone"),
        FieldDef("website", "text", "website"),
        FieldDef("industry", "text", "industry"),
        FieldDef("company_size", "number", "company size"),
        FieldDef("city", "text", "city"),
        FieldDef("state", "text", "state"),
        FieldDef("country", "text", "country"),
        FieldDef("lead_source", "text", "lead source"),
        FieldDef("source", "text", "source"),
        FieldDef("utm_source", "text", "UTM source"),
        FieldDef("utm_medium", "text", "UTM medium"),
        FieldDef("utm_campaign", "text", "UTM campaign"),
        FieldDef("utm_term", "text", "UTM term"),
        FieldDef("utm_content", "text", "UTM content"),
        FieldDef("consent", "text", "consent"),
        FieldDef("account.name", "text", "account name"),
        FieldDef("account.industry", "text", "account industry"),
        FieldDef("account.size", "number", "account size"),
        FieldDef("account.country", "text", "account country"),
    )
}
# Engagement rules look at activities, not at lead fields.
ACTIVITY_FIELDS: dict[str, str] = {"activity": "activity", "channel": "channel"}

# Lead columns (as values_list names) feeding each plain field.
LEAD_COLUMNS: dict[str, str] = {
    "email": "email",
    "first_name": "first_name",
    "last_name": "last_name",
    "title": "title",
    "company": "company",
    "phone": "phone",
    "website": "website",
    "industry": "industry",
    "company_size": "company_size",
    "city": "city",
    "state": "state",
    "country": "country",
    "lead_source": "lead_source",
    "source": "source__name",
    "utm_source": "utm_source",
    "utm_medium": "utm_medium",
    "utm_campaign": "utm_campaign",
    "utm_term": "utm_term",
    "utm_content": "utm_content",
    "consent": "consent",
    "account.name": "account__name",
    "account.industry": "account__industry",
    "account.size": "account__size",
    "account.country": "account__country",
}


def field_validate(name: str) -> None:
    """Raise ValueError naming the allowed fields when ``name`` is not one rules may use."""
    if name in FIELDS:
        return
    if name.startswith(CUSTOM_PREFIX) and len(name) > len(CUSTOM_PREFIX):
        return
    raise ValueError(
        f"unknown field {name!r}; allowed: {', '.join(FIELDS)}, or custom.<key> for a custom field"
    )


def field_label(name: str) -> str:
    """Human words for a field (or activity attribute) name."""
    if name in FIELDS:
        return FIELDS[name].label
    if name in ACTIVITY_FIELDS:
        return ACTIVITY_FIELDS[name]
    if name.startswith(CUSTOM_PREFIX):
        return name[len(CUSTOM_PREFIX) :].replace("_", " ")
    return name


def field_choices() -> list[tuple[str, str]]:
    """(name, label) of every catalogue field, for forms and the API."""
    return [(f.name, f.label) for f in FIELDS.values()]


def email_domain(email: str | None) -> str | None:
    if not email or "@" not in email:
        return None
    return email.rsplit("@", 1)[1] or None


def custom_value(value: Any) -> str | None:
    """Custom fields are compared as text: numbers and booleans are written the way JSON writes them."""
    if value is None:
        return None
    if isinstance(value, str):
        return value or None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def country_value(value: Any) -> Any:
    """A country as the rules compare it: its ISO 3166-1 code when recognised, else as written."""
    return (country_code(value) or value) if isinstance(value, str) else value


def region_value(value: Any, country: Any) -> Any:
    """A region (state, province) as the rules compare it: its ISO 3166-2 code when recognised."""
    if not isinstance(value, str):
        return value
    return region_code(value, country if isinstance(country, str) else None) or value


def record_from_values(values: Mapping[str, Any], custom: Mapping[str, Any] | None) -> dict[str, Any]:
    """A record from lead column values (keys as in LEAD_COLUMNS' values) and the custom dict."""
    record: dict[str, Any] = {}
    for name, column in LEAD_COLUMNS.items():
        value = values.get(column)
        if FIELDS[name].type == "number":
            record[name] = int(value) if value is not None else None
        else:
            record[name] = value if value not in (None, "") else None
    record["email_domain"] = email_domain(record["email"])
    # "USA", "U.S." and "United States" are one country to the rules; unrecognised text is kept.
    for name in COUNTRY_FIELDS:
        record[name] = country_value(record[name])
    record["state"] = region_value(record["state"], record["country"])
    if isinstance(custom, Mapping):
        for key, value in custom.items():
            record[CUSTOM_PREFIX + str(key)] = custom_value(value)
    return record


def lead_record(lead: Lead) -> dict[str, Any]:
    """The fields of one lead that rules may use (values are text, numbers or None)."""
    values: dict[str, Any] = {}
    for column in LEAD_COLUMNS.values():
        if "__" in column:
            relation, attribute = column.split("__", 1)
            # The lead's account: cached, or one prepared read (the descriptor compiles a query for
            # every lead intake scores).
            related = row_related(lead, relation)
            values[column] = getattr(related, attribute) if related is not None else None
        else:
            values[column] = getattr(lead, column)
    return record_from_values(values, lead.custom)


INTAKE_EVENT = "lead.intake"
DEFAULT_ACTIVITY = "inquiry"


def activity_from_event(payload: Any, channel: str, occurred_at: datetime) -> Activity:
    """An intake event as an activity: payload 'activity' (default inquiry) and 'channel'."""
    from accord.qualification.engine import Activity

    payload = payload if isinstance(payload, Mapping) else {}
    kind = payload.get("activity") or DEFAULT_ACTIVITY
    return Activity(
        kind=str(kind), channel=str(payload.get("channel") or channel or ""), occurred_at=occurred_at
    )


def lead_activities(lead: Lead) -> list[Activity]:
    """The lead's activities from the event log (its intake events)."""
    from accord.core.models import Event
    from accord.leads.selectors import lead_timeline_ids

    if lead.pk is None:
        return []  # a lead not yet written (intake scores a new lead before inserting it)
    # Activities of leads merged into this one are its activities too.
    subject_ids = lead_timeline_ids(lead)
    rows: Iterable[tuple[Any, str, datetime]] = (
        Event.objects.filter(subject_type="lead", subject_id__in=subject_ids, type=INTAKE_EVENT)
        .order_by("occurred_at", "id")
        .values_list("payload", "channel", "occurred_at")
    )
    return [activity_from_event(payload, channel, at) for payload, channel, at in rows]
