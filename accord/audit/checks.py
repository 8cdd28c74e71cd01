"""System check: the audit registry names only models and fields that exist."""

from __future__ import annotations

from typing import Any

from django.core.checks import Error, register


@register()
def audit_registry_fields_exist(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    from accord.audit.capture import unknown_fields

    return [
        Error(f"The audit registry tracks {name}, which does not exist.", id="audit.E001",
              hint="Fix accord/audit/registry.py after renaming or removing a model field.")
        for name in unknown_fields()
    ]  # fmt: skip
