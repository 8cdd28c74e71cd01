"""In-app notifications, with how each user wants each kind delivered by email; each user's mail-in
address (email capture) and what mail-in received; a rep's account control (C3): copies of marketing
communications into their accounts, and consent to messages sent under their name."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q

from accord.core.models import BaseModel

# The kinds are defined with the notify seam, so lower apps name them without importing this app.
from accord.core.notify import NotificationKind as NotificationKind
from accord.core.notify import notification_kind_label


class EmailMode(models.TextChoices):
    IMMEDIATE = "immediate", "Email each one"
    DIGEST = "digest", "Email a daily digest"
    OFF = "off", "No email (in-app only)"


class NotificationQuerySet(models.QuerySet["Notification"]):
    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)

    def pending_digest(self) -> NotificationQuerySet:
        return self.filter(email_mode=EmailMode.DIGEST, emailed_at__isnull=True)

    def email_failing(self) -> NotificationQuerySet:
        """Not emailed and the last try failed: waiting for a retry, or given up."""
        return self.filter(emailed_at__isnull=True).exclude(email_error="")


class Notification(BaseModel):
    """One message to one user, shown in their inbox and, by their preference, emailed."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=32)  # a kind of accord.core.notify.notification_kinds()
    subject = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True, help_text="Where the notification leads in Accord.")
    lead = models.ForeignKey("leads.Lead", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    email_mode = models.CharField(
        max_length=10,
        choices=EmailMode.choices,
        default=EmailMode.IMMEDIATE,
        help_text="The user's preference when the notification was made.",
    )
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    email_attempts = models.PositiveSmallIntegerField(default=0, help_text="Tries to email it so far.")
    email_error = models.CharField(
        max_length=500, blank=True, help_text="Why the last try failed; empty once it was sent."
    )
    email_retry_at = models.DateTimeField(
        null=True, blank=True, help_text="When the next try is due; empty when sent or given up."
    )

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "read_at"], name="notification_user_read"),
            models.Index(
                fields=["email_mode", "emailed_at"],
                name="notification_email_pending",
                condition=Q(emailed_at__isnull=True),
            ),
            models.Index(
                fields=["email_retry_at"],
                name="notification_email_failing",
                condition=Q(emailed_at__isnull=True) & ~Q(email_error=""),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.subject}"

    def get_kind_display(self) -> str:
        return notification_kind_label(self.kind)


class NotificationPreference(BaseModel):
    """How one user wants one kind of notification emailed. Without a row: immediately."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(max_length=32)  # a kind of accord.core.notify.notification_kinds()
    mode = models.CharField(max_length=10, choices=EmailMode.choices, default=EmailMode.IMMEDIATE)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="notification_preference_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind}: {self.mode}"


def _new_mail_in_token() -> str:
    # 16 lower-case hex characters: unguessable, and safe in a mailbox name whatever the mail client does
    # to letter case.
    return secrets.token_hex(8)


class MailInAddress(BaseModel):
    """A user's personal mail-in address ``<token>@<ACCORD_MAILIN_DOMAIN>``: mail BCC'd or forwarded to
    it is logged as a touch on the matching lead."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mail_in")
    token = models.CharField(max_length=32, unique=True, default=_new_mail_in_token)

    def __str__(self) -> str:
        return f"{self.user_id}: {self.token}"


class MailInStatus(models.TextChoices):
    LOGGED = "logged", "Logged as a touch"
    UNMATCHED = "unmatched", "No lead matched"
    NOT_LOGGED = "not_logged", "A lead matched but the touch could not be logged"
    MALFORMED = "malformed", "Could not be read"
    DUPLICATE = "duplicate", "Already received"


class MailInMessage(BaseModel):
    """One message received for one user's mail-in address and what became of it.

    The raw message is kept when nothing was logged, so a message is never lost: it can be read,
    and processed again once the lead exists.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mail_in_messages"
    )
    message_id = models.CharField(max_length=255, blank=True)
    subject = models.CharField(max_length=255, blank=True)
    from_address = models.CharField(max_length=254, blank=True)
    direction = models.CharField(max_length=10, blank=True, help_text="sent, forwarded or received.")
    status = models.CharField(max_length=12, choices=MailInStatus.choices)
    detail = models.TextField(blank=True)
    lead_ids = models.JSONField(default=list, blank=True)
    raw = models.BinaryField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "message_id"],
                condition=Q(status="logged") & ~Q(message_id=""),
                name="mail_in_logged_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.status}: {self.subject}"


class CopyScope(models.TextChoices):
    ALL_MY_ACCOUNTS = "all_my_accounts", "All my accounts and leads"
    ACCOUNT = "account", "One account"


class CommunicationCopyRequest(BaseModel):
    """A rep asks for a copy of every marketing communication sent to contacts in their accounts (C3)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="copy_requests")
    scope = models.CharField(max_length=20, choices=CopyScope.choices, default=CopyScope.ALL_MY_ACCOUNTS)
    account = models.ForeignKey(
        "leads.Account", null=True, blank=True, on_delete=models.CASCADE, related_name="copy_requests"
    )

    class Meta:
        ordering = ["user", "scope", "account"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(scope="account") & Q(account__isnull=False))
                | (Q(scope="all_my_accounts") & Q(account__isnull=True)),
                name="copy_request_scope_account",
            ),
            models.UniqueConstraint(
                fields=["user"], condition=Q(scope="all_my_accounts"), name="copy_request_one_all"
            ),
            models.UniqueConstraint(
                fields=["user", "account"], condition=Q(scope="account"), name="copy_request_one_per_account"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: copies of {self.account or self.get_scope_display()}"


class SenderConsent(BaseModel):
    """A rep agrees that marketing messages to their contacts go out under their name (C3).

    Revoking keeps the row (``revoked_at``), so it is known under whose name past messages went.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sender_consents"
    )
    scope = models.CharField(max_length=20, choices=CopyScope.choices, default=CopyScope.ALL_MY_ACCOUNTS)
    account = models.ForeignKey(
        "leads.Account", null=True, blank=True, on_delete=models.CASCADE, related_name="sender_consents"
    )
    granted_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-granted_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(scope="account") & Q(account__isnull=False))
                | (Q(scope="all_my_accounts") & Q(account__isnull=True)),
                name="sender_consent_scope_account",
            ),
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(scope="all_my_accounts", revoked_at__isnull=True),
                name="sender_consent_one_active_all",
            ),
            models.UniqueConstraint(
                fields=["user", "account"],
                condition=Q(scope="account", revoked_at__isnull=True),
                name="sender_consent_one_active_per_account",
            ),
        ]

    def __str__(self) -> str:
        state = "revoked" if self.revoked_at else "active"
        return f"{self.user_id}: send under my name for {self.account or self.get_scope_display()} ({state})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
