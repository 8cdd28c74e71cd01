"""Who is changing things right now, and through which channel: one context per request or job.

The middleware opens a context for every page, admin and API request; the API's token
authentication names the token's user; tasks, commands and imports open one with
``audit_context(actor=..., channel=...)``. Outside any context changes are recorded as 'system'.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass, field
from typing import Any

from accord.audit.models import AuditChannel
from accord.people.models import User


@dataclass
class AuditContext:
    """The actor (a user, or a request whose user is resolved late), the channel and a request id."""

    channel: str = AuditChannel.SYSTEM
    actor: User | None = None
    request: Any = None
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)

    def user(self) -> Any:
        """The acting user, or None. A request's user is read late: token auth sets it in the view."""
        candidate = self.actor
        if candidate is None and self.request is not None:
            candidate = getattr(self.request, "user", None)
        if candidate is not None and getattr(candidate, "is_authenticated", False):
            return candidate
        return None


_current: ContextVar[AuditContext | None] = ContextVar("accord_audit_context", default=None)
SYSTEM = AuditContext()
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def current() -> AuditContext:
    return _current.get() or SYSTEM


def new_request_id(incoming: str | None = None) -> str:
    """The caller's X-Request-ID when it is a plain token, otherwise a fresh one."""
    if incoming and _REQUEST_ID.match(incoming):
        return incoming
    return uuid.uuid4().hex


def enter(ctx: AuditContext) -> Token[AuditContext | None]:
    return _current.set(ctx)


def leave(token: Token[AuditContext | None]) -> None:
    _current.reset(token)


@contextmanager
def audit_context(
    *, actor: User | None = None, channel: str = AuditChannel.SYSTEM, request_id: str = ""
) -> Iterator[AuditContext]:
    """Changes made inside are recorded with this actor and channel (tasks, commands, imports)."""
    outer = _current.get()
    ctx = AuditContext(
        channel=channel,
        actor=actor,
        request_id=request_id or (outer.request_id if outer else uuid.uuid4().hex),
    )
    token = enter(ctx)
    try:
        yield ctx
    finally:
        leave(token)


def api_authenticated(user: User) -> None:
    """Called by the API's token authentication: the rest of this request acts as ``user`` over the API."""
    ctx = _current.get()
    if ctx is not None:
        ctx.actor = user
        ctx.channel = AuditChannel.API
