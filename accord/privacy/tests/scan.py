"""An independent search for a string in every table and every file (does not use accord.privacy)."""

from __future__ import annotations

import os
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import models


def database_hits(needle: str) -> list[str]:
    """'app.Model.field#pk' for every row whose text, JSON or binary column contains ``needle``."""
    hits: list[str] = []
    lowered = needle.lower().encode()
    for model in apps.get_models(include_auto_created=True):
        if not model._meta.managed or model._meta.proxy:
            continue
        for f in model._meta.concrete_fields:
            if isinstance(f, (models.CharField, models.TextField, models.JSONField)) and not f.is_relation:
                for pk in model._base_manager.filter(**{f"{f.name}__icontains": needle}).values_list(
                    "pk", flat=True
                ):
                    hits.append(f"{model._meta.label}.{f.name}#{pk}")
            elif isinstance(f, models.BinaryField):
                for pk, value in model._base_manager.values_list("pk", f.attname):
                    if value is not None and lowered in bytes(value).lower():
                        hits.append(f"{model._meta.label}.{f.name}#{pk}")
    return hits


def file_hits(needle: str) -> list[str]:
    root = Path(settings.MEDIA_ROOT)
    lowered = needle.lower().encode()
    found = []
    for dirpath, _dirs, names in os.walk(root):
        for name in names:
            path = Path(dirpath) / name
            if lowered in path.read_bytes().lower():
                found.append(str(path.relative_to(root)))
    return found
