"""Panels an app above sla adds to the rep inbox (knowledge's "Ask marketing" box), registered in the
app's ``AppConfig.ready()``; sla draws them without importing the app (DESIGN.md, layers)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest
from django.utils.safestring import SafeString

InboxPanel = Callable[[HttpRequest], SafeString]  # panel(request) -> HTML ("" to show nothing)

_panels: dict[str, InboxPanel] = {}


def register_inbox_panel(name: str, panel: InboxPanel) -> None:
    """Add (or, under the same name, replace) a panel drawn above the inbox's table."""
    _panels[name] = panel


def inbox_panels_for(request: HttpRequest) -> list[SafeString]:
    return [html for html in (panel(request) for _, panel in sorted(_panels.items())) if html]
