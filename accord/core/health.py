"""Sections of ``/healthz`` that other apps add (the mail queue, ...), registered in AppConfig.ready().

``core`` cannot import the apps above it, so each app registers a function returning a small dict;
``healthz`` adds one key per section. A section that fails says so instead of failing the check.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

logger = logging.getLogger(__name__)

_sections: dict[str, Callable[[], dict[str, Any]]] = {}


def health_section_register(name: str, read: Callable[[], dict[str, Any]]) -> None:
    _sections[name] = read


def health_sections() -> dict[str, dict[str, Any]]:
    result: dict[str, dict[str, Any]] = {}
    for name, read in _sections.items():
        try:
            result[name] = read()
        except Exception:
            logger.exception("Health check: section %s could not be read", name)
            result[name] = {"error": "could not be read"}
    return result
