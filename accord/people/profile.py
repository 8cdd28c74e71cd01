"""What other apps add to a user's profile (``GET /api/v1/me``), registered in their ``AppConfig.ready``.

People sit below the apps that own these values (the mail-in address is the notifications app's), so
they are registered here rather than imported::

    from accord.people.profile import register_profile_field
    register_profile_field("mail_in_address", lambda user: mail_in_address_for(user=user))
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from accord.people.models import User

ProfileField = Callable[[User], Any]

profile_fields: dict[str, ProfileField] = {}


def register_profile_field(name: str, value_for: ProfileField) -> ProfileField:
    """``value_for(user)`` gives the profile's ``name``; registering a name again replaces it."""
    profile_fields[name] = value_for
    return value_for


def profile_extras_for(user: User) -> dict[str, Any]:
    """Every registered field's value for ``user``."""
    return {name: value_for(user) for name, value_for in profile_fields.items()}
