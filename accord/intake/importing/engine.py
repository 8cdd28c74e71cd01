"""CSV import of leads: the bulk door into the same intake pipeline the API and forms use.

    decode -> parse (csv) -> map columns -> normalize_submission per row -> fold duplicates
           -> existing leads: lead_apply_fields, write if changed, 'lead.updated', bulk re-score
           -> new leads: AccountIndex match (lead_link_account's rule, accounts created in bulk),
              bulk qualification, next_stage, raw bulk insert of leads, 'lead.intake' events
           -> a campaign touchpoint per row, then the one hand-off every door ends with
              (accord.intake's leads_hand_off: routing, nurture tracks, possible duplicates)

Every step that decides something is the per-record pipeline's own function (``normalize_submission``,
``lead_apply_fields``, ``AccountIndex.match``, ``next_stage``), its column-at-a-time twin held equal
to it by a test (``_record_column`` ~ ``record_from_values``, ``_link_account`` ~
``lead_link_account``), or the bulk engine that is held equal to it, so a lead means the same
whichever door it came through. Only the writing differs: rows are inserted with ``executemany``
(SQLite) or ``COPY`` (PostgreSQL) without a model instance per row, one transaction per chunk of
``ACCORD_IMPORT_CHUNK_ROWS`` rows.

Encoding: UTF-8 (with or without BOM) unless an encoding is given. A file that is not valid UTF-8 is
rejected before anything is written, with the byte offset and line, and a hint to give the encoding
(we do not guess: a silent cp1252 fall-back would turn a UTF-8 file with one bad byte into mojibake).

Counting (the summary): each data row is exactly one of ``created``, ``updated``, ``unchanged``
(the first row of an email), ``merged`` (a later row of an email already seen in this file; folded
into the same lead like a sequential submission) or ``rejected``.
"""

from __future__ import annotations

import gc
import json
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accord.audit.capture import (
    BulkChange,
    audit_bulk_changes,
    audit_bulk_rows,
    audit_rows_write,
    audit_tracked_fields,
)
from accord.audit.models import AuditChannel, ChangeAction
from accord.campaigns.touchpoint_services import (
    UTM_FIELDS,
    IntakeTouch,
    IntakeTouchRows,
    touchpoints_insert,
    touchpoints_record_from_intake_bulk,
)
from accord.core.models import Channel, Event
from accord.intake.importing.accounts import FileAccountIndex
from accord.intake.importing.ahead import ReadAhead
from accord.intake.importing.error_file import ErrorReport
from accord.intake.importing.mapping import mapping_plan
from accord.intake.importing.reading import CsvRows, ImportFileError, RawRow, encoding_check
from accord.intake.importing.rows import (
    IdPool,
    RowWriter,
    _created_changes_json,
    _created_prefixes,
    _json_db,
    ids_reserve,
)
from accord.leads.models import (
    Account,
    AccountDomain,
    AccountNameKey,
    ImportJob,
    ImportStatus,
    Lead,
    Source,
    Stage,
)
from accord.leads.normalize import Submission, company_key, normalize_submission
from accord.leads.submissions import UPDATABLE_FIELDS, lead_apply_fields
from accord.people.models import User

logger = logging.getLogger(__name__)


NOT_SCORED = "Not scored: no qualification criteria are active yet."


_ID_BATCH = 5000
# The lead table's statistics are refreshed during an import (PostgreSQL) once it holds twice this
# many rows, and then each time it has doubled (``LeadImport._statistics_refresh``).
ANALYZE_FROM_ROWS = 10_000
# The lead columns a chunk's look-ups filter on (see _statistics_refresh).
ANALYZED_AS_IT_GROWS = ("id", "phone_key", "merged_into_id", "account_id")


class ImportTakenOver(Exception):
    """This run's job was claimed by another worker (it looked stale): stop without writing more."""


@dataclass
class _Group:
    """All rows of one email within a chunk, in file order."""

    email_key: str
    rows: list[RawRow] = field(default_factory=list)
    subs: list[Submission] = field(default_factory=list)
    seen_before: bool = False  # the email was in an earlier chunk of this file
    # A new lead's fields from its rows (lead_apply_fields on a blank lead), worked out while the
    # file is read: (namespace, changes). The account is linked later, against the database.
    planned: tuple[SimpleNamespace, dict[str, list[Any]]] | None = None


@dataclass
class _Prepared:
    """One chunk of the file as read and validated, before anything is looked up or written.

    ``kind``: "apply" (import it), "again" (an earlier run committed it: its errors are written
    again) or "skip" (the same, and the run goes on from the counts stored with it). The counts and
    error lines are the chunk's own, taken into the run's in file order."""

    kind: str
    groups: list[_Group]
    rows: int = 0
    rejected: int = 0
    errors: list[tuple[RawRow, dict[str, str], dict[str, str] | None, bool]] = field(default_factory=list)


@dataclass
class ImportCounts:
    created: int = 0
    updated: int = 0
    merged: int = 0
    unchanged: int = 0
    rejected: int = 0
    rows: int = 0
    accounts_created: int = 0


_BLANK_LEAD: dict[str, Any] = {
    **dict.fromkeys(UPDATABLE_FIELDS, ""),
    "company_size": None,
    "annual_revenue": None,
    "consent_text": "",
    "phone_key": "",
    "consent": "unknown",
    "consent_at": None,
    "consent_source": "",
}


def _combine_changes(total: dict[str, list[Any]], more: dict[str, list[Any]]) -> None:
    """Sequential changes as one: the first old value, the last new value; no-ops dropped."""
    for name, (old, new) in more.items():
        if name in total:
            total[name] = [total[name][0], new]
            if total[name][0] == new:
                del total[name]
        else:
            total[name] = [old, new]


class EmailsSeen:
    """Emails of earlier chunks, as 64-bit hashes in one polars column (8 bytes per email)."""

    def __init__(self) -> None:
        import polars as pl

        self._pl = pl
        self._hashes = pl.Series("h", [], dtype=pl.UInt64)

    def contains(self, keys: list[str]) -> list[bool]:
        if not keys or self._hashes.len() == 0:
            return [False] * len(keys)
        return (
            self._pl.Series(keys, dtype=self._pl.String).hash(seed=7).is_in(self._hashes.implode()).to_list()
        )

    def add(self, keys: list[str]) -> None:
        if keys:
            self._hashes = self._pl.concat(
                [self._hashes, self._pl.Series("h", keys).hash(seed=7)], rechunk=True
            )


_ACCOUNT_ATTRIBUTES = {"account__name": 0, "account__industry": 1, "account__size": 2, "account__country": 3}


def _record_column(
    name: str, namespaces: list[Any], accounts: list[tuple[Any, ...] | None], source_name: str | None
) -> list[Any]:
    """One field of ``record_from_values`` for many new leads: the same values, a column at a time.

    A new lead's values are its namespace's attributes, its source's name and its account's
    (name, industry, size, country); a test holds this equal to ``record_from_values``.
    """
    from accord.qualification.fields import (
        COUNTRY_FIELDS,
        CUSTOM_PREFIX,
        FIELDS,
        LEAD_COLUMNS,
        REGION_FIELDS,
        country_value,
        custom_value,
        email_domain,
        region_value,
    )

    if name == "email_domain":
        return [email_domain(ns.email if ns.email not in (None, "") else None) for ns in namespaces]
    if name.startswith(CUSTOM_PREFIX):
        key = name[len(CUSTOM_PREFIX) :]
        return [custom_value(ns.custom[key]) if key in ns.custom else None for ns in namespaces]
    column = LEAD_COLUMNS.get(name)
    if column is None:
        return [None] * len(namespaces)
    if column == "source__name":
        values: list[Any] = [source_name] * len(namespaces)
    elif column in _ACCOUNT_ATTRIBUTES:
        i = _ACCOUNT_ATTRIBUTES[column]
        values = [account[i] if account else None for account in accounts]
    else:
        values = [getattr(ns, column) for ns in namespaces]
    if FIELDS[name].type == "number":
        return [int(v) if v is not None else None for v in values]
    texts = [v if v not in (None, "") else None for v in values]
    if name in COUNTRY_FIELDS:
        return [country_value(v) for v in texts]
    if name in REGION_FIELDS:
        return [region_value(v, ns.country or None) for v, ns in zip(texts, namespaces, strict=True)]
    return texts


class LeadImport:
    """One run over one file. ``run()`` returns the summary; see the module docstring."""

    def __init__(
        self,
        *,
        path: Path | str,
        source: Source | None,
        mapping: dict[str, str] | None = None,
        encoding: str = "",
        dry_run: bool = False,
        actor: User | None = None,
        job: ImportJob | None = None,
        error_path: Path | None = None,
        now: datetime | None = None,
        chunk_rows: int | None = None,
        keep_preview: int = 0,
        read_ahead: bool | None = None,
    ) -> None:
        self.path = Path(path)
        # The next chunk is read and validated in a thread while this one waits on the database:
        # on PostgreSQL (a server of its own), not on SQLite (see accord.intake.importing.ahead).
        self.read_ahead = connection.vendor == "postgresql" if read_ahead is None else read_ahead
        self.source = source
        self.mapping = mapping
        self.encoding = encoding
        self.dry_run = dry_run
        self.actor = actor if getattr(actor, "is_authenticated", False) else None
        self.job = job
        self.error_path = error_path
        self.now = now or timezone.now()
        self.chunk_rows = chunk_rows or settings.ACCORD_IMPORT_CHUNK_ROWS
        self.counts = ImportCounts()
        self.keep_preview = keep_preview
        self.preview: list[dict[str, Any]] = []
        self.rescored = 0
        self._audit_columns: list[tuple[str, int]] | None = None
        self._ahead: ReadAhead[_Prepared] | None = None
        self._analyzed: tuple[int, int] | None = None  # (lead rows then, leads this run had created)

    # -- set-up ------------------------------------------------------------------------------------

    def _prepare(self) -> None:
        from accord.qualification.selectors import criteria_active_spec

        self.encoding_used = encoding_check(self.path, self.encoding)
        self.reader = CsvRows(self.path, self.encoding)
        self.plan = mapping_plan(self.reader.header, self.mapping)
        if "email" not in self.plan.targets:
            self.reader.close()
            raise ImportFileError(
                "No column holds the email address: name one 'email' (or map a column to email).",
                detail={"mapping": "email missing"},
            )
        self.spec = criteria_active_spec()
        self._load_accounts()
        self.seen = EmailsSeen()
        self.lead_columns = [f.column for f in Lead._meta.concrete_fields]
        self.lead_writer = RowWriter(Lead, self.lead_columns)
        self.event_columns = [f.column for f in Event._meta.concrete_fields if f.column != "id"]
        self.event_writer = RowWriter(Event, self.event_columns)
        stamp = connection.ops.adapt_datetimefield_value(self.now)
        self.stamp = stamp
        self.lead_defaults = self._lead_defaults()
        self._event_template: tuple[list[Any], list[int]] | None = None
        self.account_columns = [f.column for f in Account._meta.concrete_fields]
        self.account_writer = RowWriter(Account, self.account_columns)
        self.account_defaults = self._row_defaults(Account)
        self.ignored_payload = self.plan.ignored[:50]
        if self.error_path is None:
            name = (
                f"imports/errors/job-{self.job.pk}-errors.csv"
                if self.job
                else (
                    f"imports/errors/{'dry-run' if self.dry_run else 'import'}"
                    f"-{self.now:%Y%m%d-%H%M%S-%f}-errors.csv"
                )
            )
            self.error_path = Path(settings.MEDIA_ROOT) / name
        self.errors = ErrorReport(self.error_path, self.reader.header)

    def _load_accounts(self) -> None:
        self.index = FileAccountIndex().preload()
        self.accounts: dict[int, tuple[str, str, int | None, str]] = {
            pk: (name, industry, size, country)
            for pk, name, industry, size, country in Account.objects.values_list(
                "id", "name", "industry", "size", "country"
            ).iterator(chunk_size=10_000)
        }
        self._fake_account_id = 0

    def _lead_defaults(self) -> dict[str, Any]:
        """Every Lead column's value for a new row unless the import sets it (the model's defaults)."""
        defaults = self._row_defaults(Lead)
        # The job's result page lists and counts the leads it created through this column.
        defaults.update(source_id=self.source.pk if self.source else None, import_job_id=self._job_id())
        return defaults

    def _job_id(self) -> int | None:
        return self.job.pk if self.job and not self.dry_run else None

    def _row_defaults(self, model: type[Any]) -> dict[str, Any]:
        """Every column's value for a new row of ``model`` unless the import sets it (its defaults)."""
        defaults: dict[str, Any] = {}
        for f in model._meta.concrete_fields:
            if f.column == "id":
                continue
            value = f.get_default()
            if f.get_internal_type() == "JSONField":
                defaults[f.column] = _json_db(value)
            elif f.get_internal_type() == "DateTimeField":
                defaults[f.column] = None
            else:
                defaults[f.column] = value
        defaults.update(created_at=self.stamp, updated_at=self.stamp)
        return defaults

    # -- the run ---------------------------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        self._prepare()
        # A chunk holds ~10 containers per row alive at once (cells, submissions, namespaces, rows);
        # with the default thresholds the collector scans all of them again and again (a quarter of
        # the import's CPU). The import makes no reference cycles of its own: collect rarely.
        thresholds = gc.get_threshold()
        gc.set_threshold(max(thresholds[0], 200_000), max(thresholds[1], 20), max(thresholds[2], 100))
        try:
            # A job that ran before (a worker killed mid-import, a failed run) goes on after the
            # rows its committed chunks counted: those are read again only to rebuild the error
            # file and the emails seen, and the counts go on from the summary stored with them.
            done, stored = self._resume_point()
            chunks: Iterator[_Prepared] = self._prepared(done)
            if self.read_ahead:
                chunks = self._ahead = ReadAhead(chunks)
            for chunk in chunks:
                self._take(chunk)
                if chunk.kind == "skip":
                    self.counts = ImportCounts(**{name: stored.get(name, 0) for name in vars(ImportCounts())})
                    logger.info(
                        "import job %s resumes after row %s",
                        self.job.pk if self.job else None,
                        self.counts.rows,
                    )
                elif chunk.kind == "apply":
                    self._chunk(chunk.groups)
        finally:
            if self._ahead is not None:
                self._ahead.close()
                self._ahead = None
            gc.set_threshold(*thresholds)
            self.reader.close()
            self.errors.close()
        return self.summary()

    def _prepared(self, done: int) -> Iterator[_Prepared]:
        """The file in chunks, read and validated: everything that needs no database, in file order
        (``ReadAhead`` runs it beside the chunk before on PostgreSQL)."""
        chunk: list[RawRow] = []
        for raw in self.reader:
            chunk.append(raw)
            if raw.number == done:
                yield self._validate("skip", chunk)
                chunk = []
            elif len(chunk) >= self.chunk_rows:
                yield self._validate("again" if raw.number < done else "apply", chunk)
                chunk = []
        if chunk:
            yield self._validate("apply", chunk)

    def _take(self, chunk: _Prepared) -> None:
        """A prepared chunk's counts and error lines into the run's."""
        self.counts.rows += chunk.rows
        self.counts.rejected += chunk.rejected
        for raw, problems, fixes, kept in chunk.errors:
            self.errors.add(raw, problems, fixes, kept=kept)

    def summary(self) -> dict[str, Any]:
        c = self.counts
        error_file = ""
        if self.errors.count:
            try:
                error_file = str(self.error_path.relative_to(Path(settings.MEDIA_ROOT)))
            except ValueError:
                error_file = str(self.error_path)
        return {
            "created": c.created,
            "updated": c.updated,
            "merged": c.merged,
            "unchanged": c.unchanged,
            "rejected": c.rejected,
            "kept_with_warnings": self.errors.kept,
            "rows": c.rows,
            "ignored_columns": self.plan.ignored,
            "custom_columns": {
                column: target[7:]
                for column, target in zip(self.plan.columns, self.plan.targets, strict=True)
                if target.startswith("custom.")
            },
            "encoding": self.encoding_used,
            "error_file": error_file,
            "accounts_created": c.accounts_created,
            "dry_run": self.dry_run,
            "criteria_version": self.spec.version if self.spec else None,
        }

    def _validate(self, kind: str, rows: list[RawRow]) -> _Prepared:
        """normalize_submission per row; bad rows to the chunk's error lines; good rows grouped by
        email, each marked when an earlier chunk had its email (and, reading ahead, a new lead's
        fields planned).
        Touches nothing but the chunk and the emails seen (which only this step keeps)."""
        out = _Prepared(kind, [])
        errors = out.errors
        groups: dict[str, _Group] = {}
        plan = self.plan
        for raw in rows:
            if raw.problem:
                out.rejected += 1
                errors.append((raw, {"row": raw.problem}, {"row": raw.fix}, False))
                continue
            sub = normalize_submission(plan.submission(raw.cells), lenient=True)
            if not sub.ok:
                out.rejected += 1
                errors.append((raw, plan.named(sub.errors), None, False))
                continue
            if sub.warnings:
                # A bad optional cell: the row is kept without it, and the error file says so.
                errors.append((raw, plan.named(sub.warnings), None, True))
            key = sub.email_key
            group = groups.get(key)
            if group is None:
                group = groups[key] = _Group(key)
            group.rows.append(raw)
            group.subs.append(sub)
        out.rows = len(rows)
        ordered = out.groups = list(groups.values())
        keys = [g.email_key for g in ordered]
        for group, seen in zip(ordered, self.seen.contains(keys), strict=True):
            group.seen_before = seen
            if kind == "apply" and not seen and self.read_ahead:
                # Planned here, beside the chunk before, only when reading ahead; a group that turns
                # out to be a known lead's drops it. Inline, _plan_new plans the new ones only.
                group.planned = self._plan_fields(group)
        self.seen.add(keys)
        return out

    def _chunk(self, groups: list[_Group]) -> None:
        counts_before = ImportCounts(**vars(self.counts))
        if self.dry_run:
            self._apply(groups)
        else:
            for attempt in range(4):
                try:
                    with transaction.atomic():
                        updated_ids = self._apply(groups)
                        self._record_progress()
                    break
                except IntegrityError:
                    # Someone created one of these emails (API, form) after we looked: look again,
                    # those rows are now updates of that lead.
                    if attempt == 3:
                        raise
                    logger.info("import chunk conflicted with a concurrent write; retrying it")
                    self.counts = ImportCounts(**vars(counts_before))
                    self._load_accounts()
            self._statistics_refresh()
            if updated_ids and self.spec is not None:
                self._rescore(updated_ids)

    def _statistics_refresh(self) -> None:
        """PostgreSQL plans each chunk's look-ups in the lead table from its statistics: leads by phone
        (possible duplicates) and leads merged into the updated ones (the re-score). Taken when the
        table was a tenth the size, or never (no autovacuum), they make both a scan of the whole
        table: at 1M leads 220 and 260 ms a chunk, growing with every chunk, against 43 and 0.2 ms
        with fresh ones. So the lead table is analysed after a chunk has committed whenever it has
        doubled since its statistics were taken (a 1M-row file into an empty table: six times), and
        only in the columns those look-ups filter on (``ANALYZED_AS_IT_GROWS``): the statistics of
        all 49 columns and the expression indexes cost 0.8 s an ANALYZE at 100k leads, these 0.07 s;
        the row count, which is what turned the plans into scans, is taken either way. The finished
        import analyses every table it filled in full (``jobs``). SQLite plans without statistics
        (it takes an index as selective): left as it is."""
        if connection.vendor != "postgresql" or self.dry_run:
            return
        table = Lead._meta.db_table
        with connection.cursor() as cursor:
            if self._analyzed is None:
                cursor.execute(
                    "SELECT GREATEST(reltuples, 0) FROM pg_class WHERE oid = %s::regclass", [table]
                )
                self._analyzed = (int(cursor.fetchone()[0]), 0)
            rows_then, created_then = self._analyzed
            if rows_then + self.counts.created - created_then < 2 * max(rows_then, ANALYZE_FROM_ROWS):
                return
            q = connection.ops.quote_name
            columns = ", ".join(q(column) for column in ANALYZED_AS_IT_GROWS)
            cursor.execute(f"ANALYZE {q(table)} ({columns})")
            cursor.execute("SELECT GREATEST(reltuples, 0) FROM pg_class WHERE oid = %s::regclass", [table])
            self._analyzed = (int(cursor.fetchone()[0]), self.counts.created)

    def _resume_point(self) -> tuple[int, dict[str, Any]]:
        """(rows already committed, their summary) for a job that ran before; (0, {}) otherwise."""
        if self.job is None or self.dry_run:
            return 0, {}
        done, stored = ImportJob.objects.values_list("rows_done", "summary").get(pk=self.job.pk)
        if done and stored.get("rows") == done:
            return done, stored
        return 0, {}

    def _record_progress(self) -> None:
        """Progress and heartbeat, in the chunk's transaction. The update matches only while this
        run still owns the job (its last heartbeat is the stored one): a run whose job was taken
        over as stale rolls its chunk back and stops."""
        if self.job is not None:
            beat = timezone.now()
            owned = ImportJob.objects.filter(
                pk=self.job.pk, status=ImportStatus.RUNNING, updated_at=self.job.updated_at
            ).update(rows_done=self.counts.rows, summary=self.summary(), updated_at=beat)
            if not owned:
                raise ImportTakenOver(f"Import job {self.job.pk} was taken over by another worker.")
            self.job.updated_at = beat

    def _rescore(self, lead_ids: list[int]) -> None:
        from accord.qualification.models import CriteriaSet
        from accord.qualification.services import criteria_rescore

        criteria_set = CriteriaSet.objects.get(pk=self.spec.id)
        for start in range(0, len(lead_ids), _ID_BATCH):
            result = criteria_rescore(
                criteria_set=criteria_set, lead_ids=lead_ids[start : start + _ID_BATCH], as_of=self.now
            )
            self.rescored += result.get("changed", 0)

    def _existing(self, keys: list[str]) -> dict[str, Lead]:
        """Leads already holding these emails, each resolved through merged_into to the survivor."""
        found: dict[str, Lead] = {}
        for start in range(0, len(keys), _ID_BATCH):
            qs = Lead.objects.filter(email_key__in_array=keys[start : start + _ID_BATCH]).select_related(
                "source"
            )
            if not self.dry_run and connection.features.has_select_for_update:
                qs = qs.select_for_update(of=("self",))
            found.update({lead.email_key: lead for lead in qs})
        pending = {lead.merged_into_id for lead in found.values() if lead.merged_into_id}
        survivors: dict[int, Lead] = {}
        while pending:
            qs = Lead.objects.filter(pk__in_array=list(pending)).select_related("source")
            if not self.dry_run and connection.features.has_select_for_update:
                qs = qs.select_for_update(of=("self",))
            batch = {lead.pk: lead for lead in qs}
            survivors.update(batch)
            pending = {lead.merged_into_id for lead in batch.values() if lead.merged_into_id} - set(survivors)
        for key, lead in list(found.items()):
            hops = 0
            while lead.merged_into_id is not None and lead.merged_into_id in survivors and hops < 50:
                lead = survivors[lead.merged_into_id]
                hops += 1
            found[key] = lead
        return found

    def _apply(self, groups: list[_Group]) -> list[int]:
        """Plan and (unless a dry run) write one chunk. Returns the ids of updated leads."""
        existing = self._existing([g.email_key for g in groups])
        self.account_ids = IdPool(Account)
        self.new_accounts: list[tuple[Any, ...]] = []
        self.new_domains: list[tuple[str, int]] = []
        self.new_name_keys: list[tuple[int, str]] = []  # (account id, name key) for the blocking index
        # One Lead object per surviving lead, shared when two emails lead to the same person.
        survivors: dict[int, Lead] = {}
        changed: dict[int, dict[str, list[Any]]] = {}
        change_rows: dict[int, list[int]] = {}
        new_leads: list[tuple[_Group, SimpleNamespace, dict[str, list[Any]], str]] = []
        for group in groups:
            lead = existing.get(group.email_key)
            first_rows = 0 if group.seen_before else 1
            self.counts.merged += len(group.rows) - first_rows
            if lead is None:
                if group.seen_before:
                    continue  # dry run: its lead would have been created by an earlier chunk
                ns, changes, how = self._plan_new(group)
                new_leads.append((group, ns, changes, how))
                self.counts.created += 1
                continue
            lead = survivors.setdefault(lead.pk, lead)
            mine: dict[str, list[Any]] = {}
            for sub in group.subs:
                _combine_changes(mine, lead_apply_fields(lead, sub, now=self.now))
            if lead.account_id is None and not self.dry_run:
                self._link_account(lead)
                if lead.account_id is not None:
                    mine["account"] = [None, lead.account_id]
            _combine_changes(changed.setdefault(lead.pk, {}), mine)
            change_rows.setdefault(lead.pk, []).extend(r.number for r in group.rows)
            if first_rows:
                if mine:
                    self.counts.updated += 1
                else:
                    self.counts.unchanged += 1
        updated_ids = [pk for pk, total in changed.items() if total]
        if self.keep_preview:
            self._keep_preview(new_leads, survivors)
        if self.dry_run:
            return []
        self._write_accounts()
        self._write_updates([survivors[pk] for pk in updated_ids], changed, change_rows)
        created = self._insert_new(new_leads)
        # Every row of a known person is a touch too, as a submission through the API is.
        updated = [(existing[g.email_key], g) for g in groups if g.email_key in existing]
        self._touch_and_hand_off(created, new_leads, updated, changed)
        return updated_ids

    def _plan_fields(self, group: _Group) -> tuple[SimpleNamespace, dict[str, list[Any]]]:
        """A new lead's fields as a plain namespace (no model instance): lead_apply_fields per row."""
        first = group.subs[0]
        ns = SimpleNamespace(
            **_BLANK_LEAD,
            email=first.fields["email"],
            email_key=group.email_key,
            source=self.source,
            custom={},
            account=None,
            account_id=None,
        )
        if len(group.subs) == 1:  # the common case: nothing to combine
            changes = lead_apply_fields(ns, first, now=self.now)  # type: ignore[arg-type]
        else:
            changes = {}
            for sub in group.subs:
                _combine_changes(changes, lead_apply_fields(ns, sub, now=self.now))  # type: ignore[arg-type]
        return ns, changes

    def _plan_new(self, group: _Group) -> tuple[SimpleNamespace, dict[str, list[Any]], str]:
        """A new lead as a plain namespace: its planned fields, and its account linked."""
        planned = group.planned or self._plan_fields(group)
        # Copies: a chunk retried after a conflict plans its leads again from the same fields.
        ns, changes = SimpleNamespace(**vars(planned[0])), dict(planned[1])
        if self.dry_run:
            found = self.index.match(email=ns.email, company=ns.company, website=ns.website)
            how = found.how
            if found.account_id is None and ns.company:
                self._fake_account_id -= 1
                self.index.remember(
                    self._fake_account_id, name_key=company_key(ns.company), domain=found.domain
                )
                self.accounts[self._fake_account_id] = (ns.company, ns.industry, ns.company_size, ns.country)
                self.counts.accounts_created += 1
                how = "created"
            ns.account_id = (
                found.account_id
                if found.account_id is not None
                else (self._fake_account_id if how == "created" else None)
            )
        else:
            how = self._link_account(ns)
        if ns.account_id is not None:
            changes["account"] = [None, ns.account_id]
        return ns, changes, how

    def _link_account(self, lead: Any) -> str:
        """``lead_link_account`` for a whole chunk: the same match, and the same account and domain
        rows when none matches, but with reserved ids and written in one statement per table by
        ``_write_accounts`` (no ORM ``create`` and ``get_or_create`` per new company)."""
        found = self.index.match(email=lead.email, company=lead.company, website=lead.website)
        if found.account_id is not None:
            lead.account_id = found.account_id
            return found.how
        if not lead.company:
            return found.how
        key = company_key(lead.company)
        pk = self.account_ids.take()
        values = dict(self.account_defaults)
        values.update(
            id=pk,
            name=lead.company,
            name_key=key,
            industry=lead.industry,
            size=lead.company_size,
            country=lead.country,
            website=lead.website,
        )
        self.new_accounts.append(tuple(values[c] for c in self.account_columns))
        if found.domain:
            self.new_domains.append((found.domain, pk))
        self.new_name_keys.append((pk, key))
        self.index.remember(pk, name_key=key, domain=found.domain)
        lead.account_id = pk
        self.accounts[pk] = (lead.company, lead.industry, lead.company_size, lead.country)
        self.counts.accounts_created += 1
        return "created"

    def _write_accounts(self) -> None:
        """The chunk's new accounts and their domains, before the leads that point at them."""
        if self.new_accounts:
            self.account_writer.write(self.new_accounts)
        if self.new_domains:
            table = connection.ops.quote_name(AccountDomain._meta.db_table)
            # get_or_create's semantics: a domain some account already has stays with it.
            if connection.vendor == "postgresql":
                sql = f"INSERT INTO {table} (domain, account_id) VALUES (%s, %s) ON CONFLICT DO NOTHING"
            else:
                sql = f"INSERT OR IGNORE INTO {table} (domain, account_id) VALUES (%s, %s)"
            with connection.cursor() as cursor:
                cursor.executemany(sql, self.new_domains)
        if self.new_name_keys:
            AccountNameKey.write_for(self.new_name_keys)
        self.new_accounts = []
        self.new_name_keys = []
        self.new_domains = []

    def _write_updates(
        self, leads: list[Lead], changed: dict[int, dict[str, list[Any]]], change_rows: dict[int, list[int]]
    ) -> None:
        if not leads:
            return
        fields: set[str] = {"updated_at"}
        for lead in leads:
            names = set(changed[lead.pk])
            if "phone" in names:
                names.add("phone_key")
            if "account" in names:
                names.discard("account")
                names.add("account")
            fields |= names
            lead.updated_at = self.now
        Lead.objects.bulk_update(leads, sorted(fields), batch_size=500)
        events = []
        for lead in leads:
            payload = {
                "channel": Channel.IMPORT,
                "source": self.source.name if self.source else "",
                "changes": changed[lead.pk],
                "import_job": self.job.pk if self.job else None,
                "rows": change_rows.get(lead.pk, [])[:50],
            }
            events.append(self._event_row("lead.updated", lead.pk, "", payload))
        self.event_writer.write(events)
        audit_bulk_changes(
            Lead,
            [
                BulkChange(lead.pk, ChangeAction.UPDATE, changes=changed[lead.pk], object_repr=str(lead))
                for lead in leads
            ],
            actor=self.actor,
            channel=AuditChannel.IMPORT,
            occurred_at=self.now,
        )

    def _event_row_json(self, type_: str, subject_id: int, stage: str, payload: str) -> tuple[Any, ...]:
        """An event row whose payload is already JSON text (``_event_row`` with the encoding done)."""
        template = self._event_template
        if template is None:
            row = self._event_row(type_, subject_id, stage, {})
            columns = self.event_columns
            positions = [columns.index(c) for c in ("type", "subject_id", "stage", "payload")]
            template = self._event_template = (list(row), positions)
        values, (i_type, i_subject, i_stage, i_payload) = template
        row = values.copy()
        row[i_type] = type_
        row[i_subject] = subject_id
        row[i_stage] = stage
        row[i_payload] = payload
        return tuple(row)

    def _event_row(self, type_: str, subject_id: int, stage: str, payload: dict[str, Any]) -> tuple[Any, ...]:
        values = {
            "type": type_,
            "subject_type": "lead",
            "subject_id": subject_id,
            "actor_id": self.actor.pk if self.actor else None,
            "channel": Channel.IMPORT,
            "occurred_at": self.stamp,
            "stage": stage,
            "payload": _json_db(payload),
        }
        return tuple(values[c] for c in self.event_columns)

    def _evaluate(
        self, new_leads: list[tuple[_Group, SimpleNamespace, dict[str, list[Any]], str]]
    ) -> list[Any]:
        """Bulk qualification of the chunk's new leads: one Evaluation (or None) per lead, in order."""
        if self.spec is None or not new_leads:
            return [None] * len(new_leads)
        import polars as pl

        from accord.qualification.bulk import evaluate_frame, explanations
        from accord.qualification.engine import Evaluation
        from accord.qualification.fields import FIELDS

        spec = self.spec
        wanted = sorted({r.field for r in spec.rules if r.kind != "engagement"})
        source_name = self.source.name if self.source else None
        # Column by column, only the fields the rules read, with record_from_values' conversions.
        namespaces = [ns for _, ns, _, _ in new_leads]
        accounts = [
            self.accounts.get(ns.account_id) if ns.account_id is not None else None for ns in namespaces
        ]
        columns: dict[str, list[Any]] = {
            name: _record_column(name, namespaces, accounts, source_name) for name in wanted
        }
        schema: dict[str, Any] = {"lead_key": pl.Int64}
        for name in wanted:
            schema[name] = pl.Int64 if name in FIELDS and FIELDS[name].type == "number" else pl.String
        records = pl.DataFrame({"lead_key": list(range(len(new_leads))), **columns}, schema=schema)
        activities = None
        if any(r.kind == "engagement" for r in spec.rules):
            activities = pl.DataFrame(
                {
                    "lead_key": list(range(len(new_leads))),
                    "kind": [g.subs[0].activity for g, _, _, _ in new_leads],
                    "channel": [Channel.IMPORT.value] * len(new_leads),
                    "occurred_at": [self.now.astimezone(UTC)] * len(new_leads),
                },
                schema={
                    "lead_key": pl.Int64,
                    "kind": pl.String,
                    "channel": pl.String,
                    "occurred_at": pl.Datetime("us", "UTC"),
                },
            )
        result = evaluate_frame(spec, records, activities, self.now).sort("lead_key")
        texts = explanations(spec, result)  # one text per distinct verdict, shared
        out = []
        verdicts = result.select("fit", "engagement", "score", "decision").iter_rows()
        for (fit, engagement, score, decision), text in zip(verdicts, texts, strict=True):
            # Only what the intake event and next_stage read; the matched rules are in the text.
            out.append(
                Evaluation(
                    version=spec.version,
                    criteria_id=spec.id,
                    fit=fit,
                    engagement=engagement,
                    score=score,
                    decision=decision,
                    matched=(),
                    explanation=text,
                )
            )
        return out

    def _insert_new(
        self, new_leads: list[tuple[_Group, SimpleNamespace, dict[str, list[Any]], str]]
    ) -> list[tuple[int, str, str]]:
        """Write the chunk's new leads; returns (id, stage, explanation) per lead, in order."""
        from accord.qualification.engine import evaluation_payload
        from accord.qualification.selectors import next_stage

        if not new_leads:
            return []
        evaluations = self._evaluate(new_leads)
        ids = ids_reserve(Lead, len(new_leads))
        columns = self.lead_columns
        # One template row with the defaults; each lead overwrites its own columns by position.
        template = [self.lead_defaults.get(c) for c in columns]
        at = {c: i for i, c in enumerate(columns)}
        field_at = [(name, at[name]) for name in (*UPDATABLE_FIELDS, "consent_text")]
        (
            i_id,
            i_email,
            i_email_key,
            i_phone_key,
            i_consent,
            i_consent_source,
            i_consent_at,
            i_custom,
            i_account,
            i_stage_changed,
            i_stage,
            i_score,
            i_fit,
            i_engagement,
            i_criteria,
            i_explanation,
            i_scored,
        ) = (
            at[c]
            for c in (
                "id",
                "email",
                "email_key",
                "phone_key",
                "consent",
                "consent_source",
                "consent_at",
                "custom",
                "account_id",
                "stage_changed_at",
                "stage",
                "score",
                "fit_score",
                "engagement_score",
                "criteria_version_id",
                "explanation",
                "scored_at",
            )
        )
        adapt = connection.ops.adapt_datetimefield_value
        lead_rows = []
        stages = []
        scorings = []
        dumps = json.dumps
        verdicts: dict[tuple[Any, ...], tuple[str, str]] = {}  # scoring -> (stage, payload part)
        stamp = self.stamp
        for pk, (_, ns, _, _), evaluation in zip(ids, new_leads, evaluations, strict=True):
            row = template.copy()
            for name, i in field_at:
                row[i] = getattr(ns, name)
            row[i_id] = pk
            row[i_email] = ns.email
            row[i_email_key] = ns.email_key
            row[i_phone_key] = ns.phone_key
            row[i_consent] = ns.consent
            row[i_consent_source] = ns.consent_source
            row[i_consent_at] = adapt(ns.consent_at) if ns.consent_at else None
            if ns.custom:
                row[i_custom] = dumps(ns.custom)
            row[i_account] = ns.account_id
            row[i_stage_changed] = stamp
            if evaluation is not None:
                scoring = evaluation_payload(evaluation)
                key = tuple(scoring.values())
                found = verdicts.get(key)
                if found is None:
                    found = verdicts[key] = (
                        str(next_stage(Stage.INQUIRY, evaluation)),
                        ", " + dumps(scoring)[1:-1],
                    )
                stage, scoring_text = found
                row[i_stage] = stage
                row[i_score] = evaluation.score
                row[i_fit] = evaluation.fit
                row[i_engagement] = evaluation.engagement
                row[i_criteria] = evaluation.criteria_id
                row[i_explanation] = evaluation.explanation
                row[i_scored] = stamp
            else:
                stage, scoring_text = Stage.INQUIRY.value, ""
                row[i_stage] = stage
                row[i_explanation] = NOT_SCORED
            lead_rows.append(row)
            stages.append(stage)
            scorings.append(scoring_text)
        # Read before the COPYs hold the connection: building the touches then needs no database.
        touch_rows = IntakeTouchRows()
        if self._ahead is not None:
            # From here on the chunk mostly waits on the database (its COPYs, look-ups, commit):
            # the next chunk is read and validated meanwhile. Let in earlier, that work would
            # take turns with this chunk's own Python instead (measured: no gain).
            self._ahead.allow()
        # Each statement's rows are built while PostgreSQL still writes the statement before (its
        # indexes, its checks), not after it: see rows_write.
        event_rows, audit_rows = self.lead_writer.write(
            lead_rows,
            meanwhile=lambda: (
                self._intake_event_rows(ids, new_leads, stages, scorings),
                self._audit_rows(lead_rows),
            ),
        )
        first_touches = self.event_writer.write(
            event_rows,
            meanwhile=lambda: list(
                touch_rows.build(
                    self._touches((pk, g.subs[0]) for pk, (g, *_) in zip(ids, new_leads, strict=True))
                )
            ),
        )
        audit_rows_write(audit_rows)
        # A new lead's first row is its first touch, written without looking for repeats.
        touchpoints_insert(first_touches, new_leads=True)
        self._hand_to_webhooks(ids)
        return [
            (pk, stage, row[i_explanation]) for pk, stage, row in zip(ids, stages, lead_rows, strict=True)
        ]

    def _intake_event_rows(
        self,
        ids: list[int],
        new_leads: list[tuple[_Group, SimpleNamespace, dict[str, list[Any]], str]],
        stages: list[str],
        scorings: list[str],
    ) -> list[tuple[Any, ...]]:
        """The new leads' ``lead.intake`` events. The payload is json.dumps of one dict; its constant
        parts are encoded once and the text is put together in the same key order (the same text
        json.dumps would give)."""
        source_name = self.source.name if self.source else ""
        dumps = json.dumps
        head = (
            '{"created": true, "channel": '
            + dumps(Channel.IMPORT.value)
            + ', "source": '
            + dumps(source_name)
            + ', "activity": '
        )
        ignored = ', "ignored_fields": ' + dumps(self.ignored_payload)
        tail = ', "import_job": ' + dumps(self.job.pk if self.job else None) + "}"
        activities: dict[str, str] = {}
        rows = []
        for pk, (group, _, changes, how), stage, scoring_text in zip(
            ids, new_leads, stages, scorings, strict=True
        ):
            activity = group.subs[0].activity
            activity_text = activities.get(activity)
            if activity_text is None:
                activity_text = activities[activity] = dumps(activity)
            payload = (
                head
                + activity_text
                + ', "changes": '
                + dumps(changes)
                + ', "account_match": '
                + dumps(how)
                + ignored
                + scoring_text
                + tail
            )
            rows.append(self._event_row_json("lead.intake", pk, stage, payload))
        return rows

    def _audit_rows(self, lead_rows: list[list[Any]]) -> list[tuple[Any, ...]]:
        """One 'create' audit record per new lead with its tracked non-empty values, as a save through
        the API leaves (values as stored: ids for related rows); the rows, for ``audit_rows_write``."""
        if self._audit_columns is None:
            tracked = audit_tracked_fields(Lead)
            self._audit_columns = [
                (f.name, self.lead_columns.index(f.column))
                for f in Lead._meta.concrete_fields
                if f.name in tracked
            ]
        prefixes = _created_prefixes(self._audit_columns)
        i_id, i_email = self.lead_columns.index("id"), self.lead_columns.index("email")
        items = (
            BulkChange(
                row[i_id],
                ChangeAction.CREATE,
                changes_json=_created_changes_json(row, prefixes),
                object_repr=row[i_email],
            )
            for row in lead_rows
        )
        return audit_bulk_rows(
            Lead, items, actor=self.actor, channel=AuditChannel.IMPORT, occurred_at=self.now
        )

    def _touches(self, pairs: Iterable[tuple[int, Submission]]) -> Iterator[IntakeTouch]:
        """One campaign touch per row (lead id, its submission), as one submission through the API
        leaves."""
        source_id = self.source.pk if self.source else None
        for pk, sub in pairs:
            yield IntakeTouch(
                lead_id=pk,
                activity=sub.activity,
                channel=Channel.IMPORT.value,
                occurred_at=self.now,
                utm={name: str(sub.fields.get(name) or "") for name in UTM_FIELDS},
                source_id=source_id,
                campaign_ref=str(sub.fields.get("campaign_ref") or ""),
                member_status=str(sub.fields.get("member_status") or ""),
            )

    def _touch_and_hand_off(
        self,
        created: list[tuple[int, str, str]],
        new_leads: list[Any],
        updated: list[tuple[Lead, _Group]],
        changed: dict[int, dict[str, list[Any]]],
    ) -> None:
        """The intake pipeline's last steps, in bulk, in the chunk's transaction: the campaign touches
        of the rows ``_insert_new`` did not write (a new lead's later rows, every row of a known
        lead: these may repeat a recorded touch, and are skipped then), then the one hand-off every
        door ends with (``accord.intake.services.leads_hand_off``): new MQLs routed once the chunk
        commits, new nurture leads tracked, new leads and leads whose phone, name or account changed
        checked for possible duplicates. Updated leads whose stage the re-score moves are handed off
        by it."""
        from accord.intake.services import leads_hand_off
        from accord.leads.hand_off import HandOff
        from accord.leads.submissions import DUPLICATE_KEY_FIELDS

        more = [
            (pk, sub)
            for (pk, _, _), (group, _, _, _) in zip(created, new_leads, strict=True)
            for sub in group.subs[1:]
        ]
        more.extend((lead.pk, sub) for lead, group in updated for sub in group.subs)
        if more:
            touchpoints_record_from_intake_bulk(self._touches(more))
        items = [
            HandOff(lead_id=pk, previous_stage="", stage=stage, explanation=why, check_duplicates=True)
            for pk, stage, why in created
        ]
        # A known lead's stage moves only when the re-score after the chunk says so (it hands
        # those leads off); here it is checked for duplicates when its matching keys changed.
        known = {lead.pk: lead for lead, _ in updated}
        items.extend(
            HandOff(lead_id=pk, previous_stage=known[pk].stage, stage=known[pk].stage, check_duplicates=True)
            for pk, changes in changed.items()
            if not DUPLICATE_KEY_FIELDS.isdisjoint(changes)
        )
        if items:
            leads_hand_off(leads=items, at=self.now)

    def _hand_to_webhooks(self, ids: list[int]) -> None:
        """The intake events this chunk wrote with raw SQL go to outgoing webhooks like any other
        (after commit). Looked up only when some endpoint is active, so imports without webhooks
        pay one cheap query per chunk."""
        from accord.core.events import events_hand_to_webhooks, events_have_listeners

        if not ids or not events_have_listeners():
            return
        events_hand_to_webhooks(
            list(
                Event.objects.filter(
                    subject_type="lead",
                    subject_id__range=(min(ids), max(ids)),  # a range, not 20,000 parameters
                    type="lead.intake",
                    channel=Channel.IMPORT,
                    occurred_at=self.now,
                ).only("id", "type")
            )
        )

    def _keep_preview(self, new_leads: list[Any], survivors: dict[int, Lead]) -> None:
        for group, ns, _, how in new_leads:
            if len(self.preview) >= self.keep_preview:
                return
            self.preview.append(
                {
                    "row": group.rows[0].number,
                    "action": "create",
                    "email": ns.email,
                    "fields": {
                        n: getattr(ns, n) for n in UPDATABLE_FIELDS if getattr(ns, n) not in ("", None)
                    },
                    "custom": dict(ns.custom),
                    "account_match": how or "none",
                }
            )


def leads_import(
    *,
    path: Path | str,
    source: Source | None = None,
    mapping: dict[str, str] | None = None,
    encoding: str = "",
    dry_run: bool = False,
    actor: User | None = None,
    job: ImportJob | None = None,
    error_path: Path | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Import a CSV file of leads; returns the summary (see the module docstring for the counts)."""
    return LeadImport(
        path=path,
        source=source,
        mapping=mapping,
        encoding=encoding,
        dry_run=dry_run,
        actor=actor,
        job=job,
        error_path=error_path,
        now=now,
    ).run()
