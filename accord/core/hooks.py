"""Hooks: a step a lower app needs, provided by a higher app in its ``AppConfig.ready()``.

A low app never imports a high one (DESIGN.md, layers). Where a lower app's action must be followed
by a higher app's step (routing has placed a lead, so its SLA clock starts; an external verdict
clears a lead, so it is routed), the lower app declares a ``Hook`` and calls it; the conductor
(``accord.intake``) fills it with the step in its ``ready()``. A hook holds exactly one function: an
unfilled hook raises instead of silently skipping the step, and filling it twice with different
functions is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, ParamSpec, TypeVar

from django.core.exceptions import ImproperlyConfigured

P = ParamSpec("P")
R = TypeVar("R")


class Hook(Generic[P, R]):
    """One named step a higher app provides; call it like the function it holds."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._fn: Callable[P, R] | None = None

    def fill(self, fn: Callable[P, R]) -> None:
        if self._fn is not None and self._fn is not fn:
            raise ImproperlyConfigured(
                f"The hook '{self.name}' is already filled by {self._fn.__qualname__}."
            )
        self._fn = fn

    @property
    def filled(self) -> bool:
        return self._fn is not None

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        if self._fn is None:
            raise ImproperlyConfigured(
                f"The hook '{self.name}' has no step: add 'accord.intake' to INSTALLED_APPS, "
                "whose AppConfig.ready() fills it."
            )
        return self._fn(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<Hook {self.name}: {self._fn.__qualname__ if self._fn else 'empty'}>"
