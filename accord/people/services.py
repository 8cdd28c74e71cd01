"""Writes for people: users, roles, API tokens, absences, teams and their holidays."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, time

from django.db import transaction
from django.utils import timezone

from accord.core.errors import AccessDenied, ApplicationError, Conflict, NotFound
from accord.core.events import event_record
from accord.core.models import Channel
from accord.people import access
from accord.people.models import Absence, ApiToken, Role, Team, TeamHoliday, User, UserRole


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


# --- absences, teams and their holidays -------------------------------------------------------------


@transaction.atomic
def absence_create(*, actor: User, person: User, start: date, end: date, reason: str = "") -> Absence:
    """Mark ``person`` away from ``start`` to ``end`` (both days included); routing skips them then.

    A person marks themself away; a manager marks the people they manage; admins and the sales head
    anyone. Overlapping an existing absence is refused (change that one instead).
    """
    if not access.may_set_absence_for(actor, person):
        raise AccessDenied(
            f"You may not mark {person} away: only they, their managers, the sales head and admins may.",
            detail={"user": "not yours to change"},
        )
    if start is None or end is None:
        raise ApplicationError("Give the first and the last day away.", detail={"start": "is required"})
    if end < start:
        raise ApplicationError("The last day away comes before the first.", detail={"end": "is before start"})
    if (end - start).days > 366:
        raise ApplicationError("An absence can be at most a year long.", detail={"end": "is too far"})
    if end < timezone.localdate():
        raise ApplicationError("That period is over already.", detail={"end": "is past"})
    clash = Absence.objects.filter(user=person, start__lte=end, end__gte=start).first()
    if clash is not None:
        raise Conflict(
            f"{person} is already away {clash.start:%d %b %Y} – {clash.end:%d %b %Y}; remove that one first "
            "or pick other days.",
            detail={"start": "overlaps another absence"},
        )
    absence = Absence(user=person, start=start, end=end, reason=(reason or "").strip()[:120])
    absence.full_clean()
    absence.save()
    event_record(
        type="person.away",
        subject=person,
        actor=actor,
        channel=Channel.PAGE,
        payload={
            "user": str(person),
            "start": start.isoformat(),
            "end": end.isoformat(),
            "reason": absence.reason,
        },
    )
    return absence


@transaction.atomic
def absence_delete(*, actor: User, absence_id: int) -> None:
    """Remove an absence (the person is back, or the plan changed)."""
    absence = access.absences_actionable_by(actor).select_related("user").filter(pk=absence_id).first()
    if absence is None:
        raise NotFound("That absence was not found.", detail={"id": absence_id})
    event_record(
        type="person.back",
        subject=absence.user,
        actor=actor,
        channel=Channel.PAGE,
        payload={
            "user": str(absence.user),
            "start": absence.start.isoformat(),
            "end": absence.end.isoformat(),
        },
    )
    absence.delete()


def _workdays_clean(workdays: str) -> str:
    digits = "".join(sorted(set((workdays or "").replace(",", "").replace(" ", ""))))
    if not digits or any(d not in "1234567" for d in digits):
        raise ApplicationError(
            "Pick at least one working day.", detail={"workdays": "use the days 1 (Monday) to 7 (Sunday)"}
        )
    return digits


def _time_zone_clean(name: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ApplicationError(
            f"{name!r} is not a time zone; use a name such as Europe/London or America/New_York.",
            detail={"time_zone": "unknown"},
        ) from None
    return name


@transaction.atomic
def team_save(
    *,
    actor: User,
    team: Team | None,
    name: str,
    kind: str,
    segment: str,
    manager: User | None,
    time_zone: str,
    work_start: time,
    work_end: time,
    workdays: str,
) -> Team:
    """Create a team (admins, the sales head) or change one the actor may change (its manager too)."""
    if team is None:
        if not actor.has_role(*access.TEAM_ADMIN_ROLES):
            raise AccessDenied("Only the sales head and admins create teams.")
        team = Team()
    else:
        team = access.access_team_by_id(actor, team.pk)
        if manager != team.manager and not actor.has_role(*access.TEAM_ADMIN_ROLES):
            raise AccessDenied(
                "Only the sales head and admins choose a team's manager.",
                detail={"manager": "not yours to change"},
            )
    name = (name or "").strip()
    if not name:
        raise ApplicationError("Give the team a name.", detail={"name": "is required"})
    if Team.objects.filter(name__iexact=name).exclude(pk=team.pk).exists():
        raise Conflict(f"There is already a team called {name}.", detail={"name": "is taken"})
    if work_start is None or work_end is None or work_end <= work_start:
        raise ApplicationError(
            "The working day must end after it starts.", detail={"work_end": "is not after work_start"}
        )
    if manager is not None and not manager.has_role(Role.SALES_MANAGER, Role.SALES_HEAD, Role.ADMIN):
        raise ApplicationError(f"{manager} is not a sales manager.", detail={"manager": "is not a manager"})
    team.name, team.kind, team.segment, team.manager = name, kind, (segment or "").strip(), manager
    team.time_zone, team.work_start, team.work_end = _time_zone_clean(time_zone), work_start, work_end
    team.workdays = _workdays_clean(workdays)
    team.full_clean()
    team.save()
    return team


@transaction.atomic
def team_holiday_add(*, actor: User, team: Team, day: date, name: str = "") -> TeamHoliday:
    """A day the team does not work; SLA clocks skip it."""
    team = access.access_team_by_id(actor, team.pk)
    if day is None:
        raise ApplicationError("Give the day of the holiday.", detail={"day": "is required"})
    if TeamHoliday.objects.filter(team=team, day=day).exists():
        raise Conflict(
            f"{day:%d %b %Y} is already a holiday of {team}.", detail={"day": "is already a holiday"}
        )
    return TeamHoliday.objects.create(team=team, day=day, name=(name or "").strip()[:120])


@transaction.atomic
def team_holiday_remove(*, actor: User, holiday_id: int) -> None:
    holiday = TeamHoliday.objects.filter(pk=holiday_id).first()
    if holiday is None:
        raise NotFound("That holiday was not found.", detail={"id": holiday_id})
    access.access_team_by_id(actor, holiday.team_id)
    holiday.delete()
