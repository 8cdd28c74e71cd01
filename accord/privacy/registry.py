"""Where other apps plug their own tables into erasure and the subject access export.

Erasure already finds every row that points at the lead by a foreign key, redacts events, and
scrubs the email from every text and JSON column of every model. An app whose rows hold other
personal data about a lead *without* a foreign key (for example an audit trail keeping old and new
values by lead id) registers a handler here, in its ``AppConfig.ready``::

    from accord.privacy.registry import register_erasure_handler
    # audit_rows_erase(*, lead_ids: list[int], emails: list[str]) -> dict[str, int]
    register_erasure_handler(audit_rows_erase)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

ErasureHandler = Callable[..., dict[str, int]]
ExportProvider = Callable[..., dict[str, Any]]

erasure_handlers: list[ErasureHandler] = []
export_providers: list[ExportProvider] = []


def register_erasure_handler(handler: ErasureHandler) -> ErasureHandler:
    """``handler(*, lead_ids, emails)`` removes the person's rows and returns counts per table."""
    if handler not in erasure_handlers:
        erasure_handlers.append(handler)
    return handler


def register_export_provider(provider: ExportProvider) -> ExportProvider:
    """``provider(*, lead_ids, emails)`` returns {section name: JSON-ready data} for the export."""
    if provider not in export_providers:
        export_providers.append(provider)
    return provider
