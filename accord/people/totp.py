"""Authenticator apps (RFC 6238 TOTP, via pyotp): enrolment, confirmation, checking a code, removal.

Codes are 6 digits over 30-second steps; one step either side is accepted for clock drift, and a
step once used is refused again (``TotpDevice.last_counter``), so an overheard code cannot be replayed.
"""

from __future__ import annotations

import hmac
import time
from datetime import UTC, datetime

import pyotp
from django.db import transaction
from django.utils import timezone

from accord.core.errors import ApplicationError
from accord.core.events import event_record
from accord.people.models import TotpDevice, User

ISSUER = "Accord"
DRIFT_STEPS = 1


def totp_uri(*, device: TotpDevice) -> str:
    """The otpauth:// URI an authenticator app reads (typed in, or opened on the phone)."""
    return pyotp.TOTP(device.secret).provisioning_uri(name=device.user.username, issuer_name=ISSUER)


def totp_code_counter(*, secret: str, code: str, after: int, now: float | None = None) -> int | None:
    """The time step ``code`` is valid for (within the drift allowance and later than ``after``), or None."""
    code = "".join((code or "").split())
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    moment = now if now is not None else time.time()
    current = totp.timecode(datetime.fromtimestamp(moment, tz=UTC))
    for offset in range(-DRIFT_STEPS, DRIFT_STEPS + 1):
        counter = current + offset
        if counter > after and hmac.compare_digest(totp.generate_otp(counter), code):
            return counter
    return None


@transaction.atomic
def totp_device_start(*, user: User) -> TotpDevice:
    """The user's unconfirmed device (made with a fresh secret if there is none)."""
    device = TotpDevice.objects.select_for_update().filter(user=user).first()
    if device is None:
        device = TotpDevice.objects.create(user=user, secret=pyotp.random_base32())
    return device


@transaction.atomic
def totp_device_confirm(*, user: User, code: str) -> TotpDevice:
    """Turn on the code step for ``user`` once they show a code from their app."""
    device = TotpDevice.objects.select_for_update().filter(user=user).first()
    if device is None:
        raise ApplicationError("Start the set-up first: open the two-factor page again.")
    if device.confirmed_at is not None:
        raise ApplicationError("Two-factor sign-in is already on for this account.")
    counter = totp_code_counter(secret=device.secret, code=code, after=device.last_counter)
    if counter is None:
        raise ApplicationError(
            "That code is not valid. Check the time on your phone and type the current code.",
            detail={"code": "invalid"},
        )
    device.confirmed_at = timezone.now()
    device.last_counter = counter
    device.save(update_fields=["confirmed_at", "last_counter", "updated_at"])
    event_record(type="user.totp_enabled", subject=user, actor=user)
    return device


@transaction.atomic
def totp_verify(*, user: User, code: str) -> bool:
    """Check a sign-in code for ``user``; a code is accepted once."""
    device = TotpDevice.objects.select_for_update().filter(user=user, confirmed_at__isnull=False).first()
    if device is None:
        return False
    counter = totp_code_counter(secret=device.secret, code=code, after=device.last_counter)
    if counter is None:
        return False
    device.last_counter = counter
    device.save(update_fields=["last_counter", "updated_at"])
    return True


@transaction.atomic
def totp_device_remove(*, user: User, code: str, actor: User | None = None) -> None:
    """Turn two-factor sign-in off; the user proves it is them with a current code."""
    if not totp_verify(user=user, code=code):
        raise ApplicationError(
            "That code is not valid, so two-factor sign-in stays on.", detail={"code": "invalid"}
        )
    TotpDevice.objects.filter(user=user).delete()
    event_record(type="user.totp_disabled", subject=user, actor=actor or user)
