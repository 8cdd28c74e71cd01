"""Reads for notifications (a user sees only their own), preferences, and account control (C3):
who gets copies of a marketing communication to a lead, and whose name it goes out under."""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import formataddr
from typing import Any

from django.conf import settings
from django.db.models import Q

from accord.core.errors import NotFound
from accord.core.notify import notification_kinds
from accord.notifications.models import (
    CommunicationCopyRequest,
    CopyScope,
    EmailMode,
    Notification,
    NotificationPreference,
    NotificationQuerySet,
    SenderConsent,
)
from accord.people.access import notifications_visible_to
from accord.people.models import User


def notifications_for(*, user: User) -> NotificationQuerySet:
    """The user's notifications, newest first."""
    return notifications_visible_to(user).order_by("-created_at", "-id")


def notification_get(*, user: User, notification_id: int) -> Notification:
    notification = notifications_for(user=user).filter(pk=notification_id).first()
    if notification is None:
        raise NotFound(f"Notification {notification_id} was not found.", detail={"id": notification_id})
    return notification


def unread_count(*, user: User) -> int:
    return notifications_for(user=user).unread().count()


# --- account control (C3) ----------------------------------------------------------------------------


def copy_recipients_for(lead: Any) -> list[Any]:
    """The active users who asked for a copy of marketing communications sent to ``lead``.

    'All my accounts' covers leads the user owns and leads of accounts the user owns; 'one account'
    covers that account's leads. Campaign sending calls this for each recipient.
    """
    from accord.people.models import User

    account_id = getattr(lead, "account_id", None)
    account_owner_id = lead.account.owner_id if account_id and lead.account else None
    owners = {pk for pk in (getattr(lead, "owner_id", None), account_owner_id) if pk}
    match = Q(copy_requests__scope=CopyScope.ALL_MY_ACCOUNTS, pk__in=owners)
    if account_id:
        match |= Q(copy_requests__scope=CopyScope.ACCOUNT, copy_requests__account_id=account_id)
    return list(User.objects.filter(match, is_active=True).distinct().order_by("username"))


@dataclass(frozen=True)
class SenderChoice:
    """Who a marketing message to a lead goes out from, and why."""

    from_email: str
    user: User | None
    reason: str


def _default_sender(reason: str) -> SenderChoice:
    return SenderChoice(from_email=settings.DEFAULT_FROM_EMAIL, user=None, reason=reason)


def sender_for(lead: Any) -> SenderChoice:
    """The lead's rep when they consented to messages under their name, else the default sender.

    The rep is the lead's owner, else the owner of its account; the consent must be active and cover
    all their accounts or the lead's account.
    """
    owner = getattr(lead, "owner", None)
    if owner is None and getattr(lead, "account_id", None):
        owner = lead.account.owner
    if owner is None:
        return _default_sender("no owner: default sender")
    if not owner.is_active or not owner.email:
        return _default_sender(f"{owner} cannot send (inactive or no email): default sender")
    consent = (
        SenderConsent.objects.filter(user=owner, revoked_at__isnull=True)
        .filter(Q(scope=CopyScope.ALL_MY_ACCOUNTS) | Q(scope=CopyScope.ACCOUNT, account_id=lead.account_id))
        .first()
    )
    if consent is None:
        return _default_sender(f"{owner} has not agreed to send under their name: default sender")
    name = owner.get_full_name() or owner.username
    return SenderChoice(
        from_email=formataddr((name, owner.email)),
        user=owner,
        reason=f"{owner} agreed on {consent.granted_at:%Y-%m-%d} ({consent.get_scope_display().lower()})",
    )


def account_control_for(*, user: User) -> dict[str, Any]:
    """The user's copy requests, active sender consents, and the accounts they may choose."""
    from accord.leads.models import Account

    accounts = Account.objects.filter(owner=user)
    if user.team_id:
        accounts = Account.objects.filter(Q(owner=user) | Q(owner__team_id=user.team_id))
    return {
        "copy_requests": list(CommunicationCopyRequest.objects.filter(user=user).select_related("account")),
        "consents": list(
            SenderConsent.objects.filter(user=user, revoked_at__isnull=True).select_related("account")
        ),
        "accounts": list(accounts.order_by("name")[:500]),
    }


def preferences_for(*, user: User) -> list[dict[str, Any]]:
    """Every notification kind with the user's email mode for it (immediate when never chosen)."""
    chosen = dict(NotificationPreference.objects.filter(user=user).values_list("kind", "mode"))
    return [
        {"kind": kind, "label": label, "mode": chosen.get(kind, EmailMode.IMMEDIATE)}
        for kind, label in notification_kinds()
    ]
