"""Signal receivers that turn saves and deletes of tracked models into ChangeRecords.

A side concern, as in NetBox: the domain services know nothing about it. ``pre_save`` reads the
row's current values (one query per save of a tracked model, skipped when ``update_fields`` names
no tracked field); ``post_save`` and ``post_delete`` write the record in the same transaction, so a
rolled-back change leaves no record. Background tasks run under channel 'task'.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import DEFAULT_DB_ALIAS, connection, models
from django.db.models.signals import post_delete, post_save, pre_save
from django.utils import timezone

from accord.audit import context
from accord.audit.models import AuditChannel, ChangeAction, ChangeRecord
from accord.audit.registry import ALWAYS_MASKED, MASK, TRACKED, Tracked
from accord.core.rows import row_insert, rows_write
from accord.people.models import User

_OLD = "_audit_old_values"


@dataclass(frozen=True)
class _Spec:
    tracked: Tracked
    fields: tuple[tuple[str, models.Field], ...]  # (name, field)

    def masked(self, name: str) -> bool:
        return name in self.tracked.masked or name in ALWAYS_MASKED


_specs: dict[type[models.Model], _Spec] = {}


def spec_for(model: type[models.Model]) -> _Spec | None:
    return _specs.get(model)


def unknown_fields() -> list[str]:
    """Registry entries naming a model or field that does not exist (reported by a system check)."""
    problems: list[str] = []
    for tracked in TRACKED:
        try:
            model = apps.get_model(tracked.label)
        except LookupError:
            problems.append(tracked.label)
            continue
        for name in tracked.fields:
            try:
                model._meta.get_field(name)
            except FieldDoesNotExist:
                problems.append(f"{tracked.label}.{name}")
    return problems


def connect() -> None:
    for tracked in TRACKED:
        try:
            model = apps.get_model(tracked.label)
        except LookupError:
            continue
        fields = []
        for name in tracked.fields:
            try:
                fields.append((name, model._meta.get_field(name)))
            except FieldDoesNotExist:
                continue
        _specs[model] = _Spec(tracked, tuple(fields))
        uid = f"accord-audit-{tracked.label}"
        pre_save.connect(_remember_old_values, sender=model, dispatch_uid=uid, weak=False)
        post_save.connect(_record_save, sender=model, dispatch_uid=uid, weak=False)
        post_delete.connect(_record_delete, sender=model, dispatch_uid=uid, weak=False)
    _connect_tasks()


# --- values ---------------------------------------------------------------------------------------------


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return str(value)


def _current_value(instance: models.Model, field: models.Field) -> Any:
    value = getattr(instance, field.attname)
    try:
        return field.to_python(value)
    except (ValidationError, TypeError, ValueError):
        return value


def _fields_in_play(
    spec: _Spec, update_fields: frozenset[str] | None
) -> tuple[tuple[str, models.Field], ...]:
    if update_fields is None:
        return spec.fields
    return tuple((n, f) for n, f in spec.fields if n in update_fields or f.attname in update_fields)


def _stored(spec: _Spec, name: str, value: Any) -> Any:
    if spec.masked(name):
        return MASK if value not in (None, "") else value
    return _jsonable(value)


# --- receivers ------------------------------------------------------------------------------------------


def _remember_old_values(
    sender: type[models.Model], instance: models.Model, raw: bool = False, **kwargs: Any
) -> None:
    spec = _specs.get(sender)
    if spec is None or raw:
        return
    fields = _fields_in_play(spec, kwargs.get("update_fields"))
    if instance._state.adding or instance.pk is None or not fields:
        instance.__dict__[_OLD] = None
        return
    using = kwargs.get("using") or instance._state.db
    row = (
        sender._base_manager.using(using)
        .filter(pk=instance.pk)
        .values(*[f.attname for _, f in fields])
        .first()
    )
    instance.__dict__[_OLD] = row


def _record_save(
    sender: type[models.Model], instance: models.Model, created: bool, raw: bool = False, **kwargs: Any
) -> None:
    spec = _specs.get(sender)
    if spec is None or raw:
        return
    old = instance.__dict__.pop(_OLD, None)
    fields = _fields_in_play(spec, kwargs.get("update_fields"))
    changes: dict[str, list[Any]] = {}
    if created or old is None:
        if not created and not fields:
            return
        action = ChangeAction.CREATE if created else ChangeAction.UPDATE
        for name, field in fields:
            new = _current_value(instance, field)
            if new not in (None, "", [], {}):
                changes[name] = [None, _stored(spec, name, new)]
    else:
        action = ChangeAction.UPDATE
        for name, field in fields:
            before, after = old[field.attname], _current_value(instance, field)
            if before != after:
                changes[name] = [_stored(spec, name, before), _stored(spec, name, after)]
        if not changes:
            return
    _write(spec, instance, action, changes, using=kwargs.get("using"))


def _record_delete(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    spec = _specs.get(sender)
    if spec is None:
        return
    changes = {}
    for name, field in spec.fields:
        value = getattr(instance, field.attname, None)
        if value not in (None, "", [], {}):
            changes[name] = [_stored(spec, name, value), None]
    _write(spec, instance, ChangeAction.DELETE, changes, using=kwargs.get("using"))


def _write(
    spec: _Spec, instance: models.Model, action: str, changes: dict[str, Any], *, using: str | None
) -> None:
    ctx = context.current()
    actor = ctx.user()
    if actor is not None and (actor.pk is None or (action == ChangeAction.DELETE and instance == actor)):
        actor = None
    try:
        text = str(instance)[:200]
    except Exception:
        text = ""
    record = ChangeRecord(
        occurred_at=timezone.now(),
        actor=actor,
        actor_name=getattr(actor, "username", "") if actor else "",
        channel=ctx.channel,
        request_id=ctx.request_id if ctx is not context.SYSTEM else "",
        object_type=f"{instance._meta.app_label}.{instance._meta.model_name}",
        object_id=str(instance.pk),
        object_repr=text,
        action=action,
        changes=changes,
        is_configuration=spec.tracked.configuration,
    )
    if (using or DEFAULT_DB_ALIAS) == DEFAULT_DB_ALIAS:
        row_insert(record)  # written with every audited save: a prepared INSERT (accord.core.rows)
    else:
        record.save(using=using)


# --- background tasks -----------------------------------------------------------------------------------

_task_tokens: dict[str, Any] = {}


def _task_started(sender: Any, task_result: Any, **kwargs: Any) -> None:
    outer = context.current()
    ctx = context.AuditContext(channel=AuditChannel.TASK, actor=outer.user(), request_id=str(task_result.id))
    _task_tokens[str(task_result.id)] = context.enter(ctx)


def _task_finished(sender: Any, task_result: Any, **kwargs: Any) -> None:
    token = _task_tokens.pop(str(task_result.id), None)
    if token is not None:
        # ValueError: entered in another context (a worker thread); nothing to restore here.
        with contextlib.suppress(ValueError):
            context.leave(token)


def _connect_tasks() -> None:
    try:
        from django_tasks.signals import task_finished, task_started
    except ImportError:  # pragma: no cover - the backport is a dependency; Django 6 has its own
        return
    task_started.connect(_task_started, dispatch_uid="accord-audit-task-started", weak=False)
    task_finished.connect(_task_finished, dispatch_uid="accord-audit-task-finished", weak=False)


# --- bulk paths -----------------------------------------------------------------------------------------


def audit_bulk_created(objects: list[models.Model]) -> None:
    """Record rows made with ``bulk_create`` (which sends no signals), for small configuration bulks.

    Call it right after ``bulk_create`` with the objects it returned (their pks are set on SQLite
    and PostgreSQL). Big data paths (imports) are not meant for this: their events are their record.
    """
    for obj in objects:
        spec = _specs.get(type(obj))
        if spec is None or obj.pk is None:
            continue
        changes = {}
        for name, field in spec.fields:
            value = _current_value(obj, field)
            if value not in (None, "", [], {}):
                changes[name] = [None, _stored(spec, name, value)]
        _write(spec, obj, ChangeAction.CREATE, changes, using=obj._state.db)


# --- bulk data paths ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BulkChange:
    """One object's change made by a bulk path. ``changes`` maps field -> [old, new]; fields the
    registry does not track are dropped. ``changes_json`` may carry the same mapping already encoded
    (the import encodes it once for its event and reuses the text), in which case it is used as is."""

    object_id: int | str
    action: str
    changes: dict[str, list[Any]] | None = None
    changes_json: str | None = None
    object_repr: str = ""


_BULK_COLUMNS = (
    "occurred_at", "actor_id", "actor_name", "channel", "request_id", "object_type", "object_id",
    "object_repr", "action", "changes", "is_configuration",
)  # fmt: skip


def audit_bulk_changes(
    model: type[models.Model],
    items: list[BulkChange],
    *,
    actor: User | None = None,
    channel: str | None = None,
    occurred_at: dt.datetime | None = None,
) -> int:
    """Record the changes a bulk data path made (CSV import, bulk re-scoring), which send no signals.

    One ChangeRecord per object, the same as a save through the page or API would leave, written as
    plain rows (``executemany`` on SQLite, ``COPY`` on PostgreSQL) so an import of 100k rows does not
    build 100k model instances. Actor and channel default to the current audit context. Returns how
    many records were written.
    """
    rows = audit_bulk_rows(model, items, actor=actor, channel=channel, occurred_at=occurred_at)
    audit_rows_write(rows)
    return len(rows)


def audit_bulk_rows(
    model: type[models.Model],
    items: Iterable[BulkChange],
    *,
    actor: User | None = None,
    channel: str | None = None,
    occurred_at: dt.datetime | None = None,
) -> list[tuple[Any, ...]]:
    """The rows ``audit_bulk_changes`` writes, for ``audit_rows_write``; reads nothing from the
    database, so a bulk path can build them while its previous statement is still being written."""
    spec = _specs.get(model)
    if spec is None:
        return []
    ctx = context.current()
    if actor is None:
        actor = ctx.user()
    if actor is not None and getattr(actor, "pk", None) is None:
        actor = None
    tracked = {name for name, _ in spec.fields}
    ops = connection.ops
    head = (
        ops.adapt_datetimefield_value(occurred_at or timezone.now()),
        actor.pk if actor else None,
        getattr(actor, "username", "") if actor else "",
        channel or ctx.channel,
        ctx.request_id if ctx is not context.SYSTEM else "",
        f"{model._meta.app_label}.{model._meta.model_name}",
    )
    configuration = spec.tracked.configuration
    rows = []
    for item in items:
        text = item.changes_json
        if text is None:
            changes = {
                name: [_stored(spec, name, old), _stored(spec, name, new)]
                for name, (old, new) in (item.changes or {}).items()
                if name in tracked
            }
            if not changes and item.action == ChangeAction.UPDATE:
                continue
            text = json.dumps(changes)
        rows.append((*head, str(item.object_id), item.object_repr[:200], item.action, text, configuration))
    return rows


def audit_rows_write(rows: list[tuple[Any, ...]]) -> None:
    """``audit_bulk_rows``' rows written in one statement (``rows_write``)."""
    if rows:
        rows_write(ChangeRecord._meta.db_table, _BULK_COLUMNS, rows)


def audit_tracked_fields(model: type[models.Model]) -> frozenset[str]:
    """The field names the audit trail records for ``model`` (empty when it is not tracked)."""
    spec = _specs.get(model)
    return frozenset(name for name, _ in spec.fields) if spec else frozenset()
