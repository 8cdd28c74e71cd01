"""Factories for campaigns, touchpoints and the leads they touch (deals' tests use them too)."""

from __future__ import annotations

from datetime import UTC, datetime

import factory

from accord.campaigns.models import Campaign, CampaignChannel, Touchpoint, TouchpointKind
from accord.leads.models import Lead, Stage


class LeadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lead

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    email_key = factory.LazyAttribute(lambda lead: lead.email.lower())
    first_name = factory.Sequence(lambda n: f"Pat{n}")
    last_name = "Example"
    company = "Example Health Inc"
    stage = Stage.INQUIRY


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign

    name = factory.Sequence(lambda n: f"Campaign {n}")
    channel = CampaignChannel.EMAIL
    utm_campaign = factory.Sequence(lambda n: f"campaign-{n}")
    currency = "USD"


class TouchpointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Touchpoint

    lead = factory.SubFactory(LeadFactory)
    kind = TouchpointKind.FORM_SUBMISSION
    occurred_at = factory.Sequence(
        lambda n: datetime(2026, 1, 1, tzinfo=UTC).replace(minute=n % 60, hour=n // 60 % 24)
    )
    channel = CampaignChannel.EMAIL
