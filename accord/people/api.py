"""API: who am I, and the people and teams one works with (read only)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from pydantic import field_validator

from accord.core.api_support import ErrorOut, offset_page
from accord.core.errors import NotFound
from accord.people.access import signed_in_user
from accord.people.calendar_feeds import calendar_feed_url
from accord.people.models import Team, User
from accord.people.profile import profile_extras_for

router = Router(tags=["people"])


class MeOut(Schema):
    id: int
    username: str
    name: str
    email: str
    first_name: str
    last_name: str
    roles: list[str]
    team: str | None
    manager: str | None
    calendar_feed_url: str = Field(
        description="Your iCalendar feed (tasks, SLA deadlines, meetings); secret."
    )
    mail_in_address: str  # registered by the notifications app (accord.people.profile)


@router.get("/me", response=MeOut, summary="The caller")
def me(request: HttpRequest) -> MeOut:
    user = signed_in_user(request)
    return MeOut(
        id=user.pk,
        username=user.username,
        name=str(user),
        email=user.email,
        first_name=user.first_name,
        last_name=user.last_name,
        roles=sorted(user.role_set),
        team=user.team.name if user.team else None,
        manager=user.manager.username if user.manager else None,
        calendar_feed_url=calendar_feed_url(user=user),
        **profile_extras_for(user),
    )


class UserOut(Schema):
    """A colleague as anyone signed in sees them: who they are, their roles, team and manager."""

    id: int
    username: str
    first_name: str
    last_name: str
    title: str
    roles: list[str]
    team: str | None
    manager: str | None
    is_active: bool


class UserListOut(Schema):
    count: int
    limit: int
    offset: int
    results: list[UserOut]


class UserQuery(Schema):
    q: str | None = Field(None, description="Search in usernames and names.")
    role: str | None = Field(None, description="Only people with this role, e.g. sales_rep.")
    team: str | None = Field(None, description="Only the members of this team (its name).")
    include_inactive: bool = False
    limit: int = Field(100, ge=1, le=500)
    offset: int = Field(0, ge=0, le=1_000_000_000)

    @field_validator("q", "role", "team")
    @classmethod
    def no_nul_byte(cls, value: str | None) -> str | None:
        if value is not None and "\x00" in value:
            raise ValueError("must not contain a NUL character (%00); remove it")
        return value


def user_out(user: User) -> dict[str, Any]:
    return {
        "id": user.pk,
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "title": user.title,
        "roles": sorted({r.role for r in user.roles.all()}),
        "team": user.team.name if user.team else None,
        "manager": user.manager.username if user.manager else None,
        "is_active": user.is_active,
    }


@router.get("/users", response=UserListOut, summary="People in Accord (read only)")
def list_users(request: HttpRequest, query: Query[UserQuery]) -> dict[str, Any]:
    """Everyone signed in reads who their colleagues are (to assign, mention or filter by owner)."""
    signed_in_user(request)
    users = User.objects.select_related("team", "manager").prefetch_related("roles")
    if not query.include_inactive:
        users = users.filter(is_active=True)
    if query.q:
        term = query.q.strip()
        users = users.filter(
            Q(username__icontains=term) | Q(first_name__icontains=term) | Q(last_name__icontains=term)
        )
    if query.role:
        users = users.filter(roles__role=query.role).distinct()
    if query.team:
        users = users.filter(team__name=query.team)
    return offset_page(users.order_by("username"), limit=query.limit, offset=query.offset, row=user_out)


@router.get("/users/{user_id}", response={200: UserOut, 404: ErrorOut}, summary="One person")
def get_user(request: HttpRequest, user_id: int) -> dict[str, Any]:
    signed_in_user(request)
    found = (
        User.objects.select_related("team", "manager").prefetch_related("roles").filter(pk=user_id).first()
    )
    if found is None:
        raise NotFound("No such user.", detail={"user": user_id})
    return user_out(found)


class TeamOut(Schema):
    id: int
    name: str
    kind: str
    segment: str
    manager: str | None
    time_zone: str
    work_start: str = Field(description="When the working day starts, HH:MM in the team's time zone.")
    work_end: str = Field(description="When it ends, HH:MM in the team's time zone.")
    workdays: str = Field(description="ISO weekday digits: 1 = Monday ... 7 = Sunday.")
    members: list[str] = Field(description="Usernames of the active members.")


@router.get("/teams", response=list[TeamOut], summary="Sales teams with their members (read only)")
def list_teams(request: HttpRequest) -> list[dict[str, Any]]:
    signed_in_user(request)
    teams = Team.objects.select_related("manager").prefetch_related("members").order_by("name")[:500]
    return [
        {
            "id": t.pk,
            "name": t.name,
            "kind": t.kind,
            "segment": t.segment,
            "manager": t.manager.username if t.manager else None,
            "time_zone": t.time_zone,
            "work_start": t.work_start.strftime("%H:%M"),
            "work_end": t.work_end.strftime("%H:%M"),
            "workdays": t.workdays,
            "members": sorted(m.username for m in t.members.all() if m.is_active),
        }
        for t in teams
    ]
