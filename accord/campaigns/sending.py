"""What sending a communication asks of the apps above campaigns, registered in their ``ready()``.

Campaigns sit below privacy and notifications, so sending does not import them:

- privacy registers ``refusal(lead) -> str | None`` (why marketing may not email this person now:
  "unsubscribed", "unavailable" or "no_consent"; None when it may) and
  ``unsubscribe_headers(lead) -> dict`` (List-Unsubscribe headers, whose link the body repeats);
- notifications registers ``copy_recipients_for(lead) -> list[User]`` (reps who asked for copies) and
  ``sender_for(lead)`` (who the message goes out from: ``.from_email``).

Sending fails closed: with no privacy check registered, nothing is sent.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ImproperlyConfigured

_hooks: dict[str, Callable[[Any], Any]] = {}


def register_privacy_checks(
    *, refusal: Callable[[Any], str | None], unsubscribe_headers: Callable[[Any], dict[str, str]]
) -> None:
    _hooks["refusal"] = refusal
    _hooks["unsubscribe_headers"] = unsubscribe_headers


def register_account_control(
    *, copy_recipients_for: Callable[[Any], list[Any]], sender_for: Callable[[Any], Any]
) -> None:
    _hooks["copy_recipients_for"] = copy_recipients_for
    _hooks["sender_for"] = sender_for


def _hook(name: str, app: str) -> Callable[[Any], Any]:
    try:
        return _hooks[name]
    except KeyError:
        raise ImproperlyConfigured(
            f"Sending a communication needs '{name}', which the {app} app registers in its "
            f"AppConfig.ready (accord.campaigns.sending); add 'accord.{app}' to INSTALLED_APPS."
        ) from None


def privacy_refusal(lead: Any) -> str | None:
    return _hook("refusal", "privacy")(lead)


def unsubscribe_headers(lead: Any) -> dict[str, str]:
    return _hook("unsubscribe_headers", "privacy")(lead)


def copy_recipients_for(lead: Any) -> list[Any]:
    return _hook("copy_recipients_for", "notifications")(lead)


def sender_for(lead: Any) -> Any:
    return _hook("sender_for", "notifications")(lead)
