"""Writes for notifications: notify a user, email it by their preference, send digests, mark read;
and a rep's account control (C3): copy requests and sender consent."""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from accord.core.errors import ApplicationError
from accord.core.events import event_record
from accord.core.mail_headers import header_clean
from accord.core.notify import notification_kinds
from accord.notifications.models import (
    CommunicationCopyRequest,
    CopyScope,
    EmailMode,
    Notification,
    NotificationPreference,
    SenderConsent,
)
from accord.people.access import accounts_actionable_by
from accord.people.models import User
from accord.sla.one_click import one_click_lines_for

logger = logging.getLogger(__name__)

# Notifications that hand someone a lead: their email carries one-click links that log the first touch.
ONE_CLICK_KINDS = frozenset({"lead_assigned", "lead_recycled"})


def email_mode_for(*, user: User, kind: str) -> str:
    """The user's email preference for ``kind``; immediate when they never chose."""
    mode = NotificationPreference.objects.filter(user=user, kind=kind).values_list("mode", flat=True).first()
    return mode or EmailMode.IMMEDIATE


@transaction.atomic
def notify(
    *,
    user: User,
    kind: str,
    subject: str,
    body: str,
    url: str = "",
    lead: Any = None,
    already_emailed: bool = False,
) -> Notification:
    """Put a notification in the user's inbox and, if they want it immediately, email it on commit.

    The in-app row is made whatever the preference: 'off' and 'digest' only change the email.
    ``already_emailed``: the caller emails the same content itself (e.g. the mail-in reply), so the
    row is marked emailed and neither an immediate email nor the digest repeats it.
    """
    if kind not in dict(notification_kinds()):  # the built-in kinds and those apps registered
        raise ApplicationError(f"Unknown notification kind {kind!r}.", detail={"kind": "unknown"})
    notification = Notification(
        user=user,
        kind=kind,
        subject=subject[:200],
        body=body,
        url=url,
        lead=lead,
        email_mode=email_mode_for(user=user, kind=kind),
        emailed_at=timezone.now() if already_emailed else None,
    )
    notification.full_clean()
    notification.save()
    if notification.email_mode == EmailMode.IMMEDIATE and not already_emailed:
        # robust: a mail server that is down must not undo or fail the work that caused the notification;
        # the row records the failure and a task tries again later.
        transaction.on_commit(lambda: notification_email_send(notification_id=notification.pk), robust=True)
    return notification


def _absolute(url: str) -> str:
    return f"{settings.SITE_URL}{url}" if url.startswith("/") else url


# A failed email is tried again after 1, 2, 4 ... minutes (at most an hour apart), up to this many times.
EMAIL_MAX_ATTEMPTS = 8
EMAIL_FIRST_RETRY = timedelta(minutes=1)
EMAIL_LONGEST_WAIT = timedelta(hours=1)


def email_retry_delay(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed try: 1, 2, 4 ... minutes, at most an hour."""
    return min(EMAIL_FIRST_RETRY * (2 ** max(attempts - 1, 0)), EMAIL_LONGEST_WAIT)


def email_max_attempts() -> int:
    return int(getattr(settings, "ACCORD_EMAIL_MAX_ATTEMPTS", EMAIL_MAX_ATTEMPTS))


def notification_email_enqueue_at(notification_id: int, when: datetime) -> None:
    from accord.notifications.tasks import notification_email_send_task

    notification_email_send_task.using(run_after=when).enqueue(notification_id)


def notification_email_send(*, notification_id: int) -> bool:
    """Email one notification once. Claims it first (compare-and-set), so two runs send one email.

    A failed send is recorded on the notification (attempts, error) and tried again later by a task
    (``email_retry_delay``), up to ``ACCORD_EMAIL_MAX_ATTEMPTS`` tries; it never fails silently.
    """
    now = timezone.now()
    claimed = Notification.objects.filter(pk=notification_id, emailed_at__isnull=True).update(emailed_at=now)
    if not claimed:
        return False
    notification = Notification.objects.select_related("user").get(pk=notification_id)
    if not notification.user.email:
        logger.info(
            "notification %s not emailed: user %s has no email address", notification.pk, notification.user_id
        )
        return False
    body = notification.body
    if notification.kind in ONE_CLICK_KINDS and notification.lead_id:
        # The lead's new owner answers its deadline from the email (the reminders carry these already).
        lines = one_click_lines_for(user_id=notification.user_id, lead_id=notification.lead_id)
        if lines:
            body = f"{body}\n\n{lines}"
    if notification.url:
        body = f"{body}\n\nOpen in Accord: {_absolute(notification.url)}"
    attempts = notification.email_attempts + 1
    try:
        # The subject is the record's text (a lead's name may hold a line break); the header gets a clean copy.
        send_mail(
            header_clean(notification.subject), body, settings.DEFAULT_FROM_EMAIL, [notification.user.email]
        )
    except Exception as exc:
        error = f"{exc.__class__.__name__}: {exc}"[:500]
        retry_at = now + email_retry_delay(attempts) if attempts < email_max_attempts() else None
        # Release the claim and say why, so the retry (or an admin) can see it and try again.
        Notification.objects.filter(pk=notification_id).update(
            emailed_at=None, email_attempts=attempts, email_error=error, email_retry_at=retry_at
        )
        if retry_at is None:
            logger.error(
                "notification %s: email failed %s times, giving up: %s", notification_id, attempts, error
            )
        else:
            logger.warning(
                "notification %s: email failed (try %s), retrying at %s: %s",
                notification_id,
                attempts,
                retry_at,
                error,
            )
            transaction.on_commit(
                lambda: notification_email_enqueue_at(notification_id, retry_at), robust=True
            )
        return False
    Notification.objects.filter(pk=notification_id).update(
        email_attempts=attempts, email_error="", email_retry_at=None
    )
    return True


def notification_digest_send(*, user: User) -> int:
    """Email the user one message listing their pending digest notifications. Returns how many it held.

    The rows are claimed under a lock first, so two concurrent runs never put one in two digests.
    """
    with transaction.atomic():
        pending = list(
            Notification.objects.filter(user=user)
            .pending_digest()
            .order_by("created_at", "id")
            .select_for_update(skip_locked=True)
        )
        if not pending:
            return 0
        ids = [n.pk for n in pending]
        Notification.objects.filter(pk__in=ids).update(emailed_at=timezone.now())
    if not user.email:
        return 0
    lines = [f"You have {len(pending)} Accord notification{'s' if len(pending) != 1 else ''}:", ""]
    for n in pending:
        lines.append(f"- {n.subject}")
        if n.url:
            lines.append(f"  {_absolute(n.url)}")
    try:
        send_mail(
            f"Accord digest: {len(pending)} notification{'s' if len(pending) != 1 else ''}",
            "\n".join(lines),
            settings.DEFAULT_FROM_EMAIL,
            [user.email],
        )
    except Exception:
        Notification.objects.filter(pk__in=ids).update(emailed_at=None)
        raise
    return len(pending)


def notification_digests_send_all() -> dict[int, int]:
    """Send every user with pending digest notifications their digest. Returns {user_id: count}."""
    from accord.people.models import User

    user_ids = set(Notification.objects.pending_digest().values_list("user_id", flat=True))
    sent: dict[int, int] = defaultdict(int)
    for user in User.objects.filter(pk__in=user_ids, is_active=True):
        count = notification_digest_send(user=user)
        if count:
            sent[user.pk] = count
    return dict(sent)


@transaction.atomic
def notification_mark_read(*, notification: Notification, user: User) -> Notification:
    """Mark one of the user's notifications read (again is harmless)."""
    if notification.user_id != user.pk:
        raise ApplicationError("Notification not found.", status=404)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at", "updated_at"])
    return notification


@transaction.atomic
def notifications_mark_all_read(*, user: User) -> int:
    """Mark every unread notification of the user read. Returns how many changed."""
    return Notification.objects.filter(user=user).unread().update(read_at=timezone.now())


@transaction.atomic
def notification_preference_set(*, user: User, kind: str, mode: str) -> NotificationPreference:
    """Choose how ``kind`` notifications reach the user by email."""
    if kind not in dict(notification_kinds()):  # the built-in kinds and those apps registered
        raise ApplicationError(f"Unknown notification kind {kind!r}.", detail={"kind": "unknown"})
    if mode not in EmailMode.values:
        raise ApplicationError(
            f"Unknown mode {mode!r}; use one of {', '.join(EmailMode.values)}.", detail={"mode": "unknown"}
        )
    preference, _ = NotificationPreference.objects.update_or_create(
        user=user, kind=kind, defaults={"mode": mode}
    )
    return preference


# --- account control (C3): copies of marketing communications, sending under the rep's name ----------


def _account_allowed(*, user: User, account: Any) -> None:
    """A rep asks about accounts they own or that a member of their team owns (their territory)."""
    if account is None:
        raise ApplicationError("Choose an account.", detail={"account": "is required for this scope"})
    if accounts_actionable_by(user).filter(pk=account.pk).exists():
        return
    raise ApplicationError(
        "You can only choose accounts you or your team own.", detail={"account": "not yours"}, status=403
    )


@transaction.atomic
def copy_request_create(*, user: User, scope: str, account: Any = None) -> CommunicationCopyRequest:
    """Ask for a copy of every marketing communication to contacts in all my accounts, or in one account."""
    if scope not in CopyScope.values:
        raise ApplicationError(
            "Unknown scope.", detail={"scope": f"use one of {', '.join(CopyScope.values)}"}
        )
    if scope == CopyScope.ACCOUNT:
        _account_allowed(user=user, account=account)
    else:
        account = None
    request, made = CommunicationCopyRequest.objects.get_or_create(user=user, scope=scope, account=account)
    if made:
        event_record(
            type="account_control.copies_requested",
            subject=request,
            actor=user,
            payload={"user": user.pk, "scope": scope, "account": account.pk if account else None},
        )
    return request


@transaction.atomic
def copy_request_delete(*, request: CommunicationCopyRequest, user: User) -> None:
    """Stop the copies a request asked for."""
    if request.user_id != user.pk:
        raise ApplicationError("Copy request not found.", status=404)
    event_record(
        type="account_control.copies_stopped",
        subject=request,
        actor=user,
        payload={"user": user.pk, "scope": request.scope, "account": request.account_id},
    )
    request.delete()


@transaction.atomic
def sender_consent_grant(
    *, user: User, scope: str = CopyScope.ALL_MY_ACCOUNTS, account: Any = None
) -> SenderConsent:
    """The rep agrees that marketing messages to their contacts (all, or one account's) go out in
    their name."""
    if scope not in CopyScope.values:
        raise ApplicationError(
            "Unknown scope.", detail={"scope": f"use one of {', '.join(CopyScope.values)}"}
        )
    if scope == CopyScope.ACCOUNT:
        _account_allowed(user=user, account=account)
    else:
        account = None
    active = SenderConsent.objects.filter(
        user=user, scope=scope, account=account, revoked_at__isnull=True
    ).first()
    if active is not None:
        return active
    consent = SenderConsent(user=user, scope=scope, account=account, granted_at=timezone.now())
    consent.full_clean()
    consent.save()
    event_record(
        type="account_control.sender_consent_granted",
        subject=consent,
        actor=user,
        payload={"user": user.pk, "scope": scope, "account": account.pk if account else None},
    )
    return consent


@transaction.atomic
def sender_consent_revoke(*, consent: SenderConsent, user: User) -> SenderConsent:
    """Withdraw a consent; messages already sent keep the name they went out under."""
    if consent.user_id != user.pk:
        raise ApplicationError("Consent not found.", status=404)
    if consent.revoked_at is None:
        consent.revoked_at = timezone.now()
        consent.save(update_fields=["revoked_at", "updated_at"])
        event_record(
            type="account_control.sender_consent_revoked",
            subject=consent,
            actor=user,
            payload={"user": user.pk, "scope": consent.scope, "account": consent.account_id},
        )
    return consent
