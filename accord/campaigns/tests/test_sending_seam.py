"""accord.campaigns.sending: privacy and notifications plug into campaign sending from above."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from accord.campaigns import sending
from accord.notifications.selectors import copy_recipients_for, sender_for
from accord.privacy.selectors import marketing_refusal, unsubscribe_headers


def test_privacy_and_notifications_register_what_sending_asks():
    assert sending._hooks == {
        "refusal": marketing_refusal,
        "unsubscribe_headers": unsubscribe_headers,
        "copy_recipients_for": copy_recipients_for,
        "sender_for": sender_for,
    }


def test_without_the_privacy_check_sending_refuses_rather_than_email_anyone(monkeypatch):
    monkeypatch.setattr(sending, "_hooks", {})
    with pytest.raises(ImproperlyConfigured, match="privacy"):
        sending.privacy_refusal(object())
