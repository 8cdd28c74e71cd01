"""Writes for people: users, roles, API tokens."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from accord.core.errors import ApplicationError
from accord.people.models import ApiToken, Role, Team, User, UserRole


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str | None = None,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    roles: Iterable[str] = (),
    team: Team | None = None,
    manager: User | None = None,
    is_superuser: bool = False,
) -> User:
    """Create a user with roles. An admin is also a Django superuser (so the admin site opens)."""
    roles = list(roles)
    unknown = [r for r in roles if r not in Role.values]
    if unknown:
        raise ApplicationError(
            f"Unknown role(s): {', '.join(unknown)}. Valid roles: {', '.join(Role.values)}.",
            detail={"roles": unknown},
        )
    if User.objects.filter(username=username).exists():
        raise ApplicationError(f"A user named {username!r} already exists.", detail={"username": "taken"})
    staff = is_superuser or Role.ADMIN in roles
    user = User(
        username=username,
        email=email,
        first_name=first_name,
        last_name=last_name,
        team=team,
        manager=manager,
        is_staff=staff,
        is_superuser=staff,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    # One save per role (a handful), so the audit trail's receivers record each grant.
    for role in dict.fromkeys(roles):
        UserRole.objects.create(user=user, role=role)
    return user


@transaction.atomic
def user_roles_set(*, user: User, roles: Iterable[str]) -> None:
    """Replace a user's roles."""
    wanted = set(roles)
    unknown = wanted - set(Role.values)
    if unknown:
        raise ApplicationError(
            f"Unknown role(s): {', '.join(sorted(unknown))}.", detail={"roles": sorted(unknown)}
        )
    UserRole.objects.filter(user=user).exclude(role__in=wanted).delete()
    have = set(UserRole.objects.filter(user=user).values_list("role", flat=True))
    for role in sorted(wanted - have):
        UserRole.objects.create(user=user, role=role)
    user._role_cache = None


def api_token_create(*, user: User, name: str = "API token") -> tuple[str, ApiToken]:
    """A new personal token for ``user``; returns the raw value (shown once) and the row."""
    raw, key_hash = ApiToken.generate()
    token = ApiToken.objects.create(user=user, name=name, prefix=raw[:12], key_hash=key_hash)
    return raw, token


def _password_check(password: str, user: User) -> None:
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ApplicationError(
            "The password is too weak: " + " ".join(exc.messages), detail={"password": exc.messages}
        ) from None


@transaction.atomic
def admin_user_create(*, username: str, password: str, email: str = "") -> User:
    """Create an administrator (admin role, Django superuser) with a checked password."""
    _password_check(password, User(username=username, email=email))
    return user_create(username=username, password=password, email=email, roles=[Role.ADMIN])


@transaction.atomic
def admin_user_update(*, user: User, password: str, email: str | None = None) -> User:
    """Make an existing user an administrator and set a new password (and email, when given)."""
    if email is not None:
        user.email = email
    _password_check(password, user)
    user.set_password(password)
    user.is_staff = user.is_superuser = user.is_active = True
    user.full_clean(exclude=["password"])
    user.save()
    UserRole.objects.get_or_create(user=user, role=Role.ADMIN)
    user._role_cache = None
    return user
