"""Who may do what with intelligence records, in one place (the role groups come from accord.people.access).

- Research questions: everyone signed in sees the active ones and their results (aggregates, no names);
  marketing writes them; people on the sales floor (reps, managers, the sales head) answer them.
- Pulse surveys: marketing writes them; reps of the audience answer; results go to marketing, heads and
  executives while the survey runs and to everyone once it has closed (results are shared back).
- Field reports: everyone but executives writes them; everyone signed in reads them.
- Ride-alongs: the rep, the marketer, marketing, the rep's managers, heads and executives see them.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from accord.core.errors import AccessDenied, NotFound
from accord.people.access import MARKETING_ROLES, SALES_ROLES, Viewer, is_signed_in, managed_user_ids
from accord.people.models import Role

QUESTION_WRITER_ROLES = MARKETING_ROLES | {Role.ADMIN}
ANSWER_ROLES = SALES_ROLES
SURVEY_WRITER_ROLES = MARKETING_ROLES | {Role.ADMIN}
SURVEY_RESULT_ROLES = MARKETING_ROLES | {Role.ADMIN, Role.SALES_HEAD, Role.EXECUTIVE}
SURVEY_RESPONDENT_ROLES = frozenset({Role.SALES_REP})
REPORT_WRITER_ROLES = frozenset(
    {Role.ADMIN, Role.MARKETING, Role.MARKETING_HEAD, Role.SALES_REP, Role.SALES_MANAGER, Role.SALES_HEAD}
)
RIDE_ALONG_REQUESTER_ROLES = frozenset({Role.SALES_REP, Role.SALES_MANAGER})
RIDE_ALONG_DECIDER_ROLES = MARKETING_ROLES
ROTATION_ROLES = frozenset({Role.MARKETING_HEAD, Role.ADMIN})
ALL_RIDE_ALONGS_ROLES = MARKETING_ROLES | {Role.ADMIN, Role.SALES_HEAD, Role.EXECUTIVE}
PANEL_ROLES = frozenset({Role.ADMIN, Role.MARKETING_HEAD, Role.SALES_HEAD, Role.EXECUTIVE})


def roles_of(user: Viewer) -> frozenset[str]:
    return user.role_set if is_signed_in(user) else frozenset()


def require_role(user: Viewer, roles: frozenset[str], doing: str) -> None:
    """A 403 naming who may, before any lookup, for a feature only some roles use."""
    if not roles_of(user) & roles:
        labels = ", ".join(sorted(Role(r).label.lower() for r in roles))
        raise AccessDenied(f"Only {labels} may {doing}.")


def ride_alongs_visible_to(user: Viewer) -> QuerySet[Any]:
    from accord.intelligence.models import RideAlong

    if not is_signed_in(user):
        return RideAlong.objects.none()
    if roles_of(user) & ALL_RIDE_ALONGS_ROLES:
        return RideAlong.objects.all()
    return RideAlong.objects.filter(Q(rep=user) | Q(marketer=user) | Q(rep__in=managed_user_ids(user)))


def access_ride_along_by_id(user: Viewer, ride_along_id: int) -> Any:
    found = ride_alongs_visible_to(user).filter(pk=ride_along_id).first()
    if found is None:
        raise NotFound(f"Ride-along {ride_along_id} was not found.", detail={"id": ride_along_id})
    return found
