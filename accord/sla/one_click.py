"""Signed, expiring one-click links that log a touch from a notification email (/t/<token>)."""

from __future__ import annotations

from dataclasses import dataclass

from django.core import signing
from django.urls import reverse

from accord.core.errors import ApplicationError
from accord.sla.models import TouchKind

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
