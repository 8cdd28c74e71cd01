"""Seams campaigns use instead of importing apps above or beside them: sending (privacy and
notifications plug in) and revenue attribution (deals register the won deals)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core.exceptions import ImproperlyConfigured

from accord.campaigns import sending
from accord.deals.selectors import deals_won_between
from accord.leads import registry
from accord.leads.registry import _won_deals
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


def test_the_deals_app_registers_the_won_deals_revenue_attribution_credits():
    assert _won_deals == [deals_won_between]


def test_without_the_deals_app_attribution_says_what_is_missing(monkeypatch):
    monkeypatch.setattr(registry, "_won_deals", [])
    with pytest.raises(ImproperlyConfigured, match=r"accord\.deals"):
        registry.won_deals(since=datetime(2026, 1, 1, tzinfo=UTC), until=datetime(2026, 2, 1, tzinfo=UTC))
