"""CSV import of the records around leads: accounts, deals and campaign cost lines.

The same machinery as the lead import: the reader (``reading``), header matching by a normalised
name, an explicit mapping from the mapping page, the error file (``error_file``) with a line per
rejected row and a warning line per row kept without a bad optional value, chunked transactions with
the job's progress, and a dry run for the preview. A re-import updates instead of duplicating:

- an account is found by any of its domains, then by its normalised name;
- a deal by its name and its contact (the lead, found by email); its account by domain, then by name,
  then the contact's account;
- a cost line by its campaign, period and note; the campaign by its id in another system, its
  utm_campaign or its name.

These files are a company's accounts, pipeline and spend (thousands of rows, not millions), so each
row goes through the ORM (and the audit trail's capture) rather than the lead import's bulk writer.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accord.audit.context import audit_context
from accord.audit.models import AuditChannel
from accord.campaigns.models import Campaign, CostLine
from accord.campaigns.services import cost_line_add, utm_key
from accord.core.csv_safe import csv_unescape_user_cell
from accord.core.currencies import CURRENCIES
from accord.core.errors import ApplicationError
from accord.core.models import Channel
from accord.deals.models import Deal, DealStage
from accord.intake.importing.error_file import ErrorReport
from accord.intake.importing.mapping import ERROR_COLUMNS, is_error_file
from accord.intake.importing.reading import CsvRows, RawRow, encoding_check
from accord.leads.models import Account, AccountDomain, ImportJob, ImportKind, Lead
from accord.leads.normalize import _parse_int, clean_text, company_key, normalize_domain, parse_amount
from accord.people.models import User

logger = logging.getLogger(__name__)

CHUNK_ROWS = 500

# The fields each kind of record takes from a file ("" in a mapping skips a column), with the words
# the mapping page shows, and the other names their columns go by (Salesforce and HubSpot exports).
RECORD_FIELDS: dict[str, dict[str, str]] = {
    ImportKind.ACCOUNTS: {
        "name": "account name",
        "domains": "domains (separated by ; or ,)",
        "website": "website",
        "industry": "industry",
        "size": "employees",
        "country": "country",
        "owner": "owner (username or email)",
    },
    ImportKind.DEALS: {
        "name": "deal name",
        "contact_email": "contact email (the lead)",
        "account_name": "account name",
        "account_domain": "account domain",
        "amount": "amount",
        "currency": "currency (ISO code)",
        "stage": "stage",
        "expected_close": "expected close date",
        "closed_at": "closed at",
        "won_reason": "won reason",
        "lost_reason": "lost reason",
        "owner": "owner (username or email)",
    },
    ImportKind.COST_LINES: {
        "campaign": "campaign (its name, utm_campaign or id in another system)",
        "amount": "amount",
        "currency": "currency (ISO code)",
        "period_start": "period start (or the day)",
        "period_end": "period end",
        "note": "note",
    },
}
RECORD_ALIASES: dict[str, dict[str, str]] = {
    ImportKind.ACCOUNTS: {
        "account_name": "name",
        "company": "name",
        "company_name": "name",
        "account": "name",
        "domain": "domains",
        "company_domain_name": "domains",
        "domain_name": "domains",
        "url": "website",
        "web": "website",
        "employees": "size",
        "number_of_employees": "size",
        "numberofemployees": "size",
        "company_size": "size",
        "headcount": "size",
        "billing_country": "country",
        "account_owner": "owner",
        "company_owner": "owner",
    },
    ImportKind.DEALS: {
        "deal_name": "name",
        "opportunity_name": "name",
        "opportunity": "name",
        "deal": "name",
        "contact": "contact_email",
        "email": "contact_email",
        "contact_email_address": "contact_email",
        "lead_email": "contact_email",
        "account": "account_name",
        "company": "account_name",
        "company_name": "account_name",
        "domain": "account_domain",
        "company_domain": "account_domain",
        "value": "amount",
        "deal_amount": "amount",
        "deal_stage": "stage",
        "close_date": "expected_close",
        "expected_close_date": "expected_close",
        "closed_date": "closed_at",
        "date_closed": "closed_at",
        "deal_owner": "owner",
        "opportunity_owner": "owner",
    },
    ImportKind.COST_LINES: {
        "campaign_name": "campaign",
        "campaign_id": "campaign",
        "utm_campaign": "campaign",
        "cost": "amount",
        "actual_cost": "amount",
        "spend": "amount",
        "start": "period_start",
        "start_date": "period_start",
        "date": "period_start",
        "incurred_on": "period_start",
        "end": "period_end",
        "end_date": "period_end",
        "description": "note",
    },
}
REQUIRED: dict[str, tuple[str, ...]] = {
    ImportKind.ACCOUNTS: ("name",),
    ImportKind.DEALS: ("name", "contact_email", "amount"),
    ImportKind.COST_LINES: ("campaign", "amount", "period_start"),
}


def _column_key(column: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", str(column).strip().lstrip("\ufeff").lower()).strip("_")


def record_column_target(kind: str, column: str) -> str:
    """The field a column feeds by its normalised name ('Deal Name', 'deal-name' alike), or '' (skip)."""
    key = _column_key(column)
    fields = RECORD_FIELDS[kind]
    if key in fields:
        return key
    aliases = RECORD_ALIASES[kind]
    return aliases.get(key) or aliases.get(key.replace("_", "")) or ""


def record_mapping_default(kind: str, columns: Sequence[str]) -> dict[str, str]:
    mapping = {column: record_column_target(kind, column) for column in columns}
    if is_error_file(columns):
        mapping.update(dict.fromkeys(columns[-len(ERROR_COLUMNS) :], ""))
    return mapping


def record_mapping_check(kind: str, columns: Sequence[str], mapping: dict[str, str] | None) -> dict[str, str]:
    """The mapping to use: the defaults with the chosen targets over them, each checked."""
    chosen = record_mapping_default(kind, columns)
    if mapping:
        unknown = [c for c in mapping if c not in chosen]
        if unknown:
            raise ApplicationError(
                f"The mapping names columns the file does not have: {', '.join(unknown)}.",
                detail={"mapping": "unknown columns"},
            )
        chosen.update({c: (t or "").strip() for c, t in mapping.items()})
    fields = RECORD_FIELDS[kind]
    for column, target in chosen.items():
        if target and target not in fields:
            raise ApplicationError(
                f"Column {column!r} is mapped to {target!r}, which {ImportKind(kind).label.lower()} do not "
                f"have; use one of {', '.join(fields)} or nothing to skip it.",
                detail={"mapping": column},
            )
    missing = [name for name in REQUIRED[kind] if name not in chosen.values()]
    if missing:
        raise ApplicationError(
            f"No column holds {', '.join(fields[m] for m in missing)}: map a column to "
            f"{' and '.join(missing)} (or add it to the file).",
            detail={"mapping": "required fields missing"},
        )
    return chosen


class RowRejected(Exception):
    """The row cannot be imported: {field: problem}."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k} {v}" for k, v in problems.items()))
        self.problems = problems


@dataclass
class RecordCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    rows: int = 0


@dataclass
class _Row:
    values: dict[str, str]
    warnings: dict[str, str] = field(default_factory=dict)

    def text(self, name: str, limit: int) -> str:
        value = clean_text(self.values.get(name, ""))
        if len(value) > limit:
            self.warnings[name] = f"is {len(value)} characters long; at most {limit} fit"
            return ""
        return value


def _user(text: str, row: _Row, name: str = "owner") -> User | None:
    if not text:
        return None
    found = User.objects.filter(Q(username__iexact=text) | Q(email__iexact=text), is_active=True).first()
    if found is None:
        row.warnings[name] = f"{text!r} is no active user (a username or email); the owner was left as it was"
    return found


def _date(text: str, row: _Row, name: str, *, required: bool = False) -> date | None:
    if not text:
        if required:
            raise RowRejected({name: "is required"})
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        problem = f"{text!r} is not a date such as 2026-05-01"
        if required:
            raise RowRejected({name: problem}) from None
        row.warnings[name] = problem
        return None


def _moment(text: str, row: _Row, name: str) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        row.warnings[name] = f"{text!r} is not a date-time such as 2026-05-01T10:00:00Z"
        return None
    return moment if moment.tzinfo else timezone.make_aware(moment, timezone.get_current_timezone())


def _currency(text: str, row: _Row, default: str) -> str:
    code = text.strip().upper()
    if not code:
        return default
    if code not in CURRENCIES:
        raise RowRejected({"currency": f"{text!r} is not an ISO 4217 currency code such as USD or EUR"})
    return code


def _apply(obj: Any, values: dict[str, Any]) -> bool:
    """Set the non-empty values that differ; True when something changed."""
    changed = False
    for name, value in values.items():
        if value in (None, ""):
            continue
        if getattr(obj, name, None) != value:  # an unset relation reads as None
            setattr(obj, name, value)
            changed = True
    return changed


def _account_upsert(row: _Row, actor: User | None) -> str:
    name = row.text("name", 255)
    if not name:
        raise RowRejected({"name": "is required"})
    raw_domains = [d for d in re.split(r"[;,\s]+", row.values.get("domains", "")) if d.strip()]
    website = row.text("website", 255)
    domains = [normalize_domain(d) for d in raw_domains]
    if website and not domains:
        domains = [normalize_domain(website)]
    domains = [d for d in dict.fromkeys(domains) if d and "." in d]
    size = None
    if row.values.get("size", "").strip():
        size = _parse_int(row.values["size"])
        if size is None:
            row.warnings["size"] = f"{row.values['size']!r} is not a whole number of employees (e.g. 250)"
    key = company_key(name)
    account = None
    if domains:
        found = AccountDomain.objects.filter(domain__in=domains).select_related("account").first()
        account = found.account if found else None
    if account is None:
        account = Account.objects.filter(name_key=key).order_by("pk").first()
    values: dict[str, Any] = {
        "industry": row.text("industry", 120),
        "size": size,
        "country": row.text("country", 80),
        "website": website,
        "owner": _user(row.values.get("owner", "").strip(), row),
    }
    if account is None:
        account = Account(name=name, name_key=key)
        _apply(account, values)
        account.save()
        outcome = "created"
    else:
        outcome = "updated" if _apply(account, {"name": name, "name_key": key, **values}) else "unchanged"
        if outcome == "updated":
            account.save()
    for domain in domains:
        holder = AccountDomain.objects.filter(domain=domain).values_list("account_id", flat=True).first()
        if holder is None:
            AccountDomain.objects.create(account=account, domain=domain)
            outcome = "updated" if outcome == "unchanged" else outcome
        elif holder != account.pk:
            row.warnings["domains"] = f"{domain} already belongs to another account; it was left there"
    return outcome


def _deal_upsert(row: _Row, actor: User | None) -> str:
    name = row.text("name", 255)
    email = clean_text(row.values.get("contact_email", "")).lower()
    if not name:
        raise RowRejected({"name": "is required"})
    if not email:
        raise RowRejected({"contact_email": "is required: a deal is linked to its contact by email"})
    contact = Lead.objects.filter(email_key=email).first()
    while contact is not None and contact.merged_into_id is not None:
        contact = Lead.objects.get(pk=contact.merged_into_id)
    if contact is None:
        raise RowRejected(
            {"contact_email": f"{email!r} is no lead's email: import the leads first, then the deals"}
        )
    amount = parse_amount(row.values.get("amount", ""))
    if amount is None:
        raise RowRejected({"amount": f"{row.values.get('amount', '')!r} is not an amount (e.g. 25000)"})
    account = None
    domain = normalize_domain(row.values.get("account_domain", ""))
    if domain:
        found = AccountDomain.objects.filter(domain=domain).select_related("account").first()
        account = found.account if found else None
    account_name = row.text("account_name", 255)
    if account is None and account_name:
        account = Account.objects.filter(name_key=company_key(account_name)).order_by("pk").first()
    if account is None and contact.account_id:
        account = contact.account
    if account is None and account_name:
        account = Account.objects.create(name=account_name, name_key=company_key(account_name))
        if domain:
            AccountDomain.objects.get_or_create(domain=domain, defaults={"account": account})
    if account is None:
        raise RowRejected({"account_name": "is needed: the contact has no account and the row names none"})
    stage = row.values.get("stage", "").strip().lower().replace(" ", "_")
    if stage and stage not in DealStage.values:
        labels = {str(label).lower(): value for value, label in DealStage.choices}
        stage = labels.get(row.values["stage"].strip().lower(), "")
        if not stage:
            row.warnings["stage"] = (
                f"{row.values['stage']!r} is not a deal stage; use one of {', '.join(DealStage.values)}"
            )
    deal = Deal.objects.filter(name=name, contact=contact).order_by("pk").first()
    values: dict[str, Any] = {
        "account": account,
        "amount": amount,
        "currency": _currency(row.values.get("currency", ""), row, deal.currency if deal else "USD"),
        "stage": stage,
        "expected_close": _date(row.values.get("expected_close", "").strip(), row, "expected_close"),
        "closed_at": _moment(row.values.get("closed_at", "").strip(), row, "closed_at"),
        "won_reason": row.text("won_reason", 10_000),
        "lost_reason": row.text("lost_reason", 10_000),
        "owner": _user(row.values.get("owner", "").strip(), row),
    }
    if deal is None:
        deal = Deal(name=name, contact=contact, created_by=actor)
        _apply(deal, values)
        if deal.owner_id is None:
            deal.owner = contact.owner
        deal.full_clean()
        deal.save()
        return "created"
    if not _apply(deal, values):
        return "unchanged"
    deal.full_clean()
    deal.save()
    return "updated"


def _campaign_for(text: str) -> Campaign | None:
    ref = text.strip()
    if not ref:
        return None
    return (
        Campaign.objects.filter(external_id=ref).first()
        or (Campaign.objects.filter(utm_campaign=utm_key(ref)).first() if utm_key(ref) else None)
        or Campaign.objects.filter(name__iexact=ref).order_by("pk").first()
    )


def _cost_line_upsert(row: _Row, actor: User | None) -> str:
    ref = row.values.get("campaign", "")
    campaign = _campaign_for(ref)
    if campaign is None:
        raise RowRejected(
            {"campaign": f"{ref!r} names no campaign (by its name, utm_campaign or id in another system)"}
        )
    amount = parse_amount(row.values.get("amount", ""))
    if amount is None:
        raise RowRejected({"amount": f"{row.values.get('amount', '')!r} is not an amount (e.g. 1200.50)"})
    start = _date(row.values.get("period_start", "").strip(), row, "period_start", required=True)
    assert start is not None  # required: _date rejected the row otherwise
    end = _date(row.values.get("period_end", "").strip(), row, "period_end") or start
    note = row.text("note", 300)
    currency = _currency(row.values.get("currency", ""), row, campaign.currency)
    line = CostLine.objects.filter(campaign=campaign, period_start=start, period_end=end, note=note).first()
    if line is None:
        try:
            cost_line_add(
                campaign=campaign,
                amount=amount,
                actor=actor,  # type: ignore[arg-type]
                period_start=start,
                period_end=end,
                currency=currency,
                note=note,
                event_channel=Channel.IMPORT,
            )
        except ApplicationError as exc:
            raise RowRejected(exc.detail or {"row": exc.message}) from None
        return "created"
    if currency != campaign.currency:
        raise RowRejected({"currency": f"must be {campaign.currency}, the campaign's currency"})
    if line.amount == amount:
        return "unchanged"
    line.amount = amount
    line.full_clean()
    line.save(update_fields=["amount", "updated_at"])
    return "updated"


UPSERTS: dict[str, Callable[[_Row, User | None], str]] = {
    ImportKind.ACCOUNTS: _account_upsert,
    ImportKind.DEALS: _deal_upsert,
    ImportKind.COST_LINES: _cost_line_upsert,
}


class _DryRun(Exception):
    """Raised at the end of a dry run's transaction so nothing it wrote stays."""


class RecordImport:
    """One run over one file of accounts, deals or cost lines; ``run()`` returns the summary."""

    def __init__(
        self,
        *,
        kind: str,
        path: Path | str,
        mapping: dict[str, str] | None = None,
        encoding: str = "",
        dry_run: bool = False,
        actor: User | None = None,
        job: ImportJob | None = None,
        error_path: Path | None = None,
        keep_preview: int = 0,
    ) -> None:
        if kind not in UPSERTS:
            raise ApplicationError(
                f"Unknown import kind {kind!r}; use one of {', '.join(ImportKind.values)}.",
                detail={"kind": "unknown"},
            )
        self.kind = kind
        self.path = Path(path)
        self.encoding = encoding
        self.dry_run = dry_run
        self.actor = actor
        self.job = job
        self.keep_preview = keep_preview
        self.preview: list[dict[str, Any]] = []
        self.counts = RecordCounts()
        self.encoding_used = encoding_check(self.path, encoding)
        self.reader = CsvRows(self.path, encoding)
        header = self.reader.header
        self.mapping = record_mapping_check(kind, header, mapping)
        self.columns = [(i, self.mapping.get(c, "")) for i, c in enumerate(header)]
        self.ignored = [c for c in header if not self.mapping.get(c)]
        self.labels = {target: column.strip() for column, target in self.mapping.items() if target}
        if error_path is None:
            stamp = timezone.now().strftime("%Y%m%d-%H%M%S-%f")
            name = (
                f"job-{job.pk}-errors.csv"
                if job
                else f"{kind}-{'dry-run' if dry_run else 'import'}-{stamp}.csv"
            )
            error_path = Path(settings.MEDIA_ROOT) / "imports/errors" / name
        self.error_path = error_path
        self.errors = ErrorReport(error_path, header)

    def _named(self, problems: dict[str, str]) -> dict[str, str]:
        return {self.labels.get(k, k): v for k, v in problems.items()}

    def _one(self, raw: RawRow) -> None:
        self.counts.rows += 1
        if raw.problem:
            self.counts.rejected += 1
            self.errors.add(raw, {"row": raw.problem}, {"row": raw.fix})
            return
        values = {
            target: csv_unescape_user_cell(raw.cells[i])
            for i, target in self.columns
            if target and i < len(raw.cells) and raw.cells[i].strip()
        }
        row = _Row(values)
        try:
            with transaction.atomic():
                outcome = UPSERTS[self.kind](row, self.actor)
        except RowRejected as exc:
            self.counts.rejected += 1
            self.errors.add(raw, self._named(exc.problems))
            return
        except ApplicationError as exc:  # a model check the row did not pass
            self.counts.rejected += 1
            self.errors.add(raw, self._named(exc.detail or {"row": exc.message}))
            return
        except ValidationError as exc:  # full_clean: a value the model refuses is the row's fault
            self.counts.rejected += 1
            self.errors.add(raw, self._named({k: "; ".join(v) for k, v in exc.message_dict.items()}))
            return
        setattr(self.counts, outcome, getattr(self.counts, outcome) + 1)
        if row.warnings:
            self.errors.add(raw, self._named(row.warnings), kept=True)
        if len(self.preview) < self.keep_preview:
            self.preview.append({"row": raw.number, "outcome": outcome, **values})

    def run(self) -> dict[str, Any]:
        channel = AuditChannel.IMPORT
        try:
            with audit_context(actor=self.actor, channel=channel):
                if self.dry_run:
                    try:
                        with transaction.atomic():
                            for raw in self.reader:
                                self._one(raw)
                            raise _DryRun
                    except _DryRun:
                        pass
                else:
                    chunk: list[RawRow] = []
                    for raw in self.reader:
                        chunk.append(raw)
                        if len(chunk) >= CHUNK_ROWS:
                            self._chunk(chunk)
                            chunk = []
                    self._chunk(chunk)
        finally:
            self.reader.close()
            self.errors.close()
        return self.summary()

    def _chunk(self, rows: list[RawRow]) -> None:
        if not rows:
            return
        with transaction.atomic():
            for raw in rows:
                self._one(raw)
            if self.job is not None:
                # The heartbeat the job's runner compares its final update with (jobs.import_job_run).
                beat = timezone.now()
                ImportJob.objects.filter(pk=self.job.pk).update(rows_done=self.counts.rows, updated_at=beat)
                self.job.updated_at = beat

    def summary(self) -> dict[str, Any]:
        error_file = ""
        if self.errors.count:
            try:
                error_file = str(self.error_path.relative_to(Path(settings.MEDIA_ROOT)))
            except ValueError:
                error_file = str(self.error_path)
        return {
            "kind": self.kind,
            "created": self.counts.created,
            "updated": self.counts.updated,
            "merged": 0,
            "unchanged": self.counts.unchanged,
            "rejected": self.counts.rejected,
            "kept_with_warnings": self.errors.kept,
            "rows": self.counts.rows,
            "ignored_columns": self.ignored,
            "encoding": self.encoding_used,
            "error_file": error_file,
            "accounts_created": 0,
            "dry_run": self.dry_run,
        }


def records_import(*, kind: str, path: Path | str, **options: Any) -> dict[str, Any]:
    """Import a file of accounts, deals or cost lines; the summary as the lead import gives it."""
    return RecordImport(kind=kind, path=path, **options).run()
