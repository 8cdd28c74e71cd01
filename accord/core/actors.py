"""Who did something, as the bottom layer sees it.

Core sits below ``people``, so it may not name ``accord.people.models.User``. Its functions take an
``Actor``: anything shaped like a user, which the real ``User`` (and Django's ``AnonymousUser``) is. The
apps above pass and receive the real ``User``.
"""

from __future__ import annotations

from typing import Any, Protocol


class Actor(Protocol):
    """The user model's face to core: a primary key, and whether the person is signed in."""

    @property
    def pk(self) -> Any: ...

    @property
    def is_authenticated(self) -> bool: ...
