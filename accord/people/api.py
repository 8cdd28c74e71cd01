"""API: who am I."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Field, Router, Schema

from accord.people.access import signed_in_user
from accord.people.calendar_feeds import calendar_feed_url
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
