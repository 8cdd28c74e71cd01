"""Signed, expiring one-click links that log a touch from a notification email (/t/<token>)."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.urls import reverse

from accord.core.errors import ApplicationError
from accord.sla.models import ClockKind, SlaClock, TouchKind

SALT = "accord.sla.one-click-touch"
MAX_AGE_SECONDS = 72 * 3600


@dataclass(frozen=True)
class OneClick:
    user_id: int
    lead_id: int
    clock_id: int | None
    kind: str


def one_click_token_make(
    *, user_id: int, lead_id: int, clock_id: int | None, kind: str = TouchKind.CALL
) -> str:
    """A token naming who logs which kind of touch on which lead (and the clock it answers)."""
    return signing.TimestampSigner(salt=SALT).sign_object(
        {"u": user_id, "l": lead_id, "c": clock_id, "k": kind}, compress=True
    )


def one_click_path(*, user_id: int, lead_id: int, clock_id: int | None, kind: str = TouchKind.CALL) -> str:
    token = one_click_token_make(user_id=user_id, lead_id=lead_id, clock_id=clock_id, kind=kind)
    return reverse("sla:one_click", args=[token])


def one_click_token_read(token: str) -> OneClick:
    """The link's content, or ApplicationError when it was tampered with or is older than 72 hours."""
    signer = signing.TimestampSigner(salt=SALT)
    try:
        data = signer.unsign_object(token, max_age=MAX_AGE_SECONDS)
    except signing.SignatureExpired:
        raise ApplicationError(
            "This link has expired (links work for 72 hours). Log the touch in Accord.", status=410
        ) from None
    except signing.BadSignature:
        raise ApplicationError("This link is not valid.", status=400) from None
    if data.get("k") not in TouchKind.values:
        raise ApplicationError("This link is not valid.", status=400)
    return OneClick(
        user_id=int(data["u"]),
        lead_id=int(data["l"]),
        clock_id=int(data["c"]) if data.get("c") is not None else None,
        kind=data["k"],
    )


def one_click_lines(clock: SlaClock) -> str:
    """Lines for an email to the clock's owner: one-click links (from ACCORD_SITE_URL) that log a call or
    an email and so answer the deadline; on a lead not yet accepted they accept it too."""
    if clock.owner_id is None:
        return ""  # nobody to act: no link
    what = "accepts the lead and logs" if clock.kind == ClockKind.ACCEPT else "logs"
    links = {
        kind: settings.SITE_URL
        + one_click_path(user_id=clock.owner_id, lead_id=clock.lead_id, clock_id=clock.pk, kind=kind)
        for kind in (TouchKind.CALL, TouchKind.EMAIL)
    }
    return (
        f"Called them? One click {what} the call: {links[TouchKind.CALL]}\n"
        f"Emailed them? One click {what} the email: {links[TouchKind.EMAIL]}"
    )


def one_click_lines_for(*, user_id: int, lead_id: int) -> str:
    """``one_click_lines`` for the user's most urgent running deadline on the lead; "" when none runs."""
    clock = SlaClock.objects.open().filter(lead_id=lead_id, owner_id=user_id).order_by("due_at", "id").first()
    return one_click_lines(clock) if clock is not None else ""
