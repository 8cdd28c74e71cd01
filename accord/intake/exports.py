"""CSV exports of the records around leads: accounts, deals, campaigns, their cost lines, touches
(marketing's touchpoints) and logged touches (reps' calls, emails, meetings and notes).
The lead list's export is the leads app's (``accord.leads.exports``); the audit trail has its own.

Each export is a header and a generator of rows over the records the person may see (the access
module's querysets), read in chunks so memory stays flat; ``accord.audit.exports.csv_response``
streams it with every cell formula-escaped and logs it as an export. The column names are the ones
the import recognises, so an export imports again as it is (into another instance, or the same one,
where it updates rather than duplicates). Read-only facts are in columns named ``accord_*``, which the
import names and leaves alone; a lead's custom fields travel as one JSON object (``custom_fields``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import Sum

from accord.people import access
from accord.people.models import User

CHUNK = 2000


def _username(user: Any) -> str:
    return user.username if user is not None else ""


ACCOUNT_HEADER = (
    "name", "domains", "website", "industry", "size", "country", "owner", "accord_id", "accord_created_at",
)  # fmt: skip


def account_rows(user: User) -> Iterator[list[Any]]:
    accounts = (
        access.accounts_visible_to(user)
        .select_related("owner")
        .prefetch_related("domains")
        .order_by("name", "pk")
        .iterator(chunk_size=CHUNK)
    )
    for account in accounts:
        yield [
            account.name,
            "; ".join(sorted(d.domain for d in account.domains.all())),
            account.website,
            account.industry,
            account.size,
            account.country,
            _username(account.owner),
            account.pk,
            account.created_at,
        ]


DEAL_HEADER = (
    "name", "contact_email", "account_name", "account_domain", "amount", "currency", "stage",
    "expected_close", "closed_at", "won_reason", "lost_reason", "owner", "accord_id", "accord_created_at",
)  # fmt: skip


def deal_rows(user: User) -> Iterator[list[Any]]:
    deals = (
        access.deals_visible_to(user)
        .select_related("contact", "account", "owner")
        .prefetch_related("account__domains")
        .order_by("pk")
        .iterator(chunk_size=CHUNK)
    )
    for deal in deals:
        domains = sorted(d.domain for d in deal.account.domains.all())
        yield [
            deal.name,
            deal.contact.email,
            deal.account.name,
            domains[0] if domains else "",
            deal.amount,
            deal.currency,
            deal.stage,
            deal.expected_close,
            deal.closed_at,
            deal.won_reason,
            deal.lost_reason,
            _username(deal.owner),
            deal.pk,
            deal.created_at,
        ]


CAMPAIGN_HEADER = (
    "name", "channel", "status", "parent", "start_date", "end_date", "budget", "currency", "utm_campaign",
    "external_id", "owner", "description", "accord_costs_total", "accord_id",
)  # fmt: skip


def campaign_rows(user: User) -> Iterator[list[Any]]:
    campaigns = (
        access.campaigns_visible_to(user)
        .select_related("owner", "parent")
        .annotate(costs_total=Sum("cost_lines__amount"))
        .order_by("name", "pk")
        .iterator(chunk_size=CHUNK)
    )
    for c in campaigns:
        yield [
            c.name, c.channel, c.status, c.parent.name if c.parent_id else "", c.start_date, c.end_date,
            c.budget, c.currency, c.utm_campaign, c.external_id, _username(c.owner), c.description,
            c.costs_total or 0, c.pk,
        ]  # fmt: skip


COST_LINE_HEADER = (
    "campaign", "campaign_utm", "amount", "currency", "period_start", "period_end", "note", "accord_created_at",
)  # fmt: skip


def cost_line_rows(user: User) -> Iterator[list[Any]]:
    lines = (
        access.cost_lines_visible_to(user)
        .select_related("campaign")
        .order_by("campaign__name", "period_start", "pk")
        .iterator(chunk_size=CHUNK)
    )
    for line in lines:
        yield [
            line.campaign.name, line.campaign.utm_campaign, line.amount, line.currency,
            line.period_start, line.period_end, line.note, line.created_at,
        ]  # fmt: skip


TOUCH_HEADER = (
    "lead_email", "campaign", "member_status", "kind", "occurred_at", "channel", "intake_channel",
    "activity", "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "source",
)  # fmt: skip


def touch_rows(user: User) -> Iterator[list[Any]]:
    touches = (
        access.touchpoints_visible_to(user)
        .select_related("lead", "campaign", "source")
        .order_by("occurred_at", "pk")
        .iterator(chunk_size=CHUNK)
    )
    for t in touches:
        yield [
            t.lead.email, t.campaign.name if t.campaign_id else "", t.member_status, t.kind, t.occurred_at,
            t.channel, t.intake_channel, t.activity, t.utm_source, t.utm_medium, t.utm_campaign, t.utm_term,
            t.utm_content, t.source.name if t.source_id else "",
        ]  # fmt: skip


LOGGED_TOUCH_HEADER = ("lead_email", "kind", "outcome", "note", "occurred_at", "by", "channel")


def logged_touch_rows(user: User) -> Iterator[list[Any]]:
    """The calls, emails, meetings and notes reps logged, on the leads one sees."""
    touches = (
        access.touches_visible_to(user)
        .select_related("lead", "user")
        .order_by("occurred_at", "pk")
        .iterator(chunk_size=CHUNK)
    )
    for t in touches:
        yield [t.lead.email, t.kind, t.outcome, t.note, t.occurred_at, _username(t.user), t.channel]


@dataclass(frozen=True)
class RecordExport:
    """One kind of export: its file name, header and rows for a user."""

    filename: str
    what: str
    header: tuple[str, ...]
    rows: Any  # (user) -> iterator of rows


RECORD_EXPORTS: dict[str, RecordExport] = {
    "accounts": RecordExport("accounts.csv", "accounts", ACCOUNT_HEADER, account_rows),
    "deals": RecordExport("deals.csv", "deals", DEAL_HEADER, deal_rows),
    "campaigns": RecordExport("campaigns.csv", "campaigns", CAMPAIGN_HEADER, campaign_rows),
    "cost-lines": RecordExport(
        "campaign-cost-lines.csv", "campaign cost lines", COST_LINE_HEADER, cost_line_rows
    ),
    "touches": RecordExport("touches.csv", "touches", TOUCH_HEADER, touch_rows),
    "logged-touches": RecordExport(
        "logged-touches.csv", "logged touches", LOGGED_TOUCH_HEADER, logged_touch_rows
    ),
}
