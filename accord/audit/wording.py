"""The audit pages in plain words: each changed field by its label, a foreign key by the name of what it
points to ("Owner: Bob → Carol", never "owner: 12 → 13"), a choice by its label ("Stage: MQL → SAL").

The stored record keeps the raw values (the CSV export and the API give them as stored); only the pages
translate, loading the names a page needs in one query per kind of related record.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models

EMPTY = "—"


def _field(object_type: str, name: str) -> models.Field | None:
    try:
        model = apps.get_model(object_type)
        found = model._meta.get_field(name)
    except (LookupError, ValueError, FieldDoesNotExist):
        return None
    return found if isinstance(found, models.Field) else None


def change_lines(records: list[Any]) -> None:
    """Set ``record.change_lines`` on each record: ``(label, before, after)`` in words."""
    wanted: dict[type[models.Model], set[Any]] = defaultdict(set)
    fields: dict[tuple[str, str], models.Field | None] = {}
    for record in records:
        for name, values in (record.changes or {}).items():
            field = fields.setdefault((record.object_type, name), _field(record.object_type, name))
            if isinstance(field, models.ForeignKey) and isinstance(values, list | tuple):
                wanted[field.related_model].update(v for v in values if isinstance(v, int | str) and v != "")  # type: ignore[index]
    names: dict[type[models.Model], dict[str, str]] = {}
    for model, ids in wanted.items():
        found = model._default_manager.in_bulk([i for i in ids if str(i).isdigit()]) if ids else {}
        names[model] = {str(pk): _name(obj) for pk, obj in found.items()}

    def words(field: models.Field | None, value: Any) -> str:
        if value in (None, ""):
            return EMPTY
        if isinstance(field, models.ForeignKey):
            return names.get(field.related_model, {}).get(str(value), f"a deleted {field.verbose_name}")  # type: ignore[arg-type]
        if field is not None and field.choices:
            return str(dict(field.flatchoices).get(value, value))
        if isinstance(value, bool):
            return "yes" if value else "no"
        return str(value)

    for record in records:
        lines = []
        for name, values in (record.changes or {}).items():
            field = fields.get((record.object_type, name))
            label = (
                str(field.verbose_name).capitalize()
                if field is not None
                else name.replace("_", " ").capitalize()
            )
            before, after = [*values, None, None][:2] if isinstance(values, list) else (None, values)
            lines.append((label, words(field, before), words(field, after)))
        record.change_lines = lines


def _name(obj: Any) -> str:
    full = getattr(obj, "get_full_name", None)
    return (full() if callable(full) else "") or str(obj)
