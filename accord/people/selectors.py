"""Reads for people: who holds a role, which calendar a team works to, who is away."""

from __future__ import annotations

from datetime import date, time

from django.conf import settings
from django.db.models import Q, QuerySet

from accord.core.calendar import BusinessCalendar
from accord.core.errors import ApplicationError
from accord.people.models import Absence, Role, Team, User

# Working hours for people outside any team; the same defaults a new Team gets.
DEFAULT_WORK_START = time(9, 0)
DEFAULT_WORK_END = time(18, 0)


def users_with_role(role: str, *, include_inactive: bool = False) -> QuerySet[User]:
    """Users holding ``role``. Superusers count as admins."""
    if role not in Role.values:
        raise ApplicationError(
            f"Unknown role {role!r}. Valid roles: {', '.join(Role.values)}.", detail={"role": "unknown"}
        )
    holds = Q(roles__role=role)
    if role == Role.ADMIN:
        holds |= Q(is_superuser=True)
    users = User.objects.filter(holds)
    if not include_inactive:
        users = users.filter(is_active=True)
    return users.distinct().order_by("username")


def users_with_roles_listing(*, role: str | None = None) -> list[tuple[User, list[str]]]:
    """Active users and their sorted roles, for listings (a fixed number of queries)."""
    users = users_with_role(role) if role else User.objects.filter(is_active=True).order_by("username")
    users = users.select_related("team").prefetch_related("roles")
    listing = []
    for user in users:
        roles = {r.role for r in user.roles.all()}
        if user.is_superuser:
            roles.add(Role.ADMIN)
        listing.append((user, sorted(roles)))
    return listing


def default_calendar() -> BusinessCalendar:
    """The calendar of people without a team: 09:00-18:00, Monday to Friday, in ACCORD_TIME_ZONE."""
    return BusinessCalendar(tz=settings.TIME_ZONE, start=DEFAULT_WORK_START, end=DEFAULT_WORK_END)


def team_calendar(team: Team | None) -> BusinessCalendar:
    """The business calendar a team works to (the default calendar when there is no team)."""
    if team is None:
        return default_calendar()
    return team.calendar()


def user_calendar(user: User) -> BusinessCalendar:
    """The business calendar of the user's team, or the default calendar."""
    return team_calendar(user.team if user.team_id else None)


def user_is_away(user: User, day: date) -> bool:
    """Whether an absence covers ``day`` for ``user``."""
    return Absence.objects.filter(user=user, start__lte=day, end__gte=day).exists()
