"""One world for the access matrix: a record of every kind, owned inside and outside each scope."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest


@pytest.fixture
def world(personas):
    from django.core.files.base import ContentFile
    from django.utils import timezone

    from accord.audit.models import ChangeRecord
    from accord.campaigns.communication_services import VariantSpec, communication_create
    from accord.campaigns.models import Delivery
    from accord.campaigns.tests.factories import CampaignFactory, LeadFactory
    from accord.deals.models import Deal
    from accord.leads.models import Account, ImportJob, Stage
    from accord.notifications.models import Notification, NotificationKind
    from accord.qualification.tests.factories import criteria_with_rules
    from accord.routing.models import RoutingRuleSet
    from accord.sla.models import ClockKind, SlaClock, SlaPolicy
    from accord.webhooks.models import WebhookDelivery, WebhookEndpoint

    p = personas
    now = timezone.now()

    class World:
        pass

    w = World()
    w.p = p
    w.account = Account.objects.create(name="Acme Health", name_key="acme health", owner=p.bob)
    w.bob_lead = LeadFactory(
        email="bob.lead@acme.example", owner=p.bob, stage=Stage.SAL, company="Acme Health", account=w.account
    )
    w.carol_lead = LeadFactory(
        email="carol.lead@acme.example", owner=p.carol, stage=Stage.SAL, company="=cmd|'/c calc'!A1"
    )
    w.charlie_lead = LeadFactory(
        email="charlie.lead@bank.example", owner=p.charlie, stage=Stage.SAL, company="Bank"
    )
    w.unowned_lead = LeadFactory(email="nobody@lead.example", stage=Stage.MQL, company="Nobody")

    def deal(lead, owner):
        return Deal.objects.create(name=f"{lead.company} deal", account=w.account, contact=lead, owner=owner,
                                   amount=Decimal("1000"), created_by=owner)  # fmt: skip

    w.bob_deal = deal(w.bob_lead, p.bob)
    w.carol_deal = deal(w.carol_lead, p.carol)
    w.charlie_deal = deal(w.charlie_lead, p.charlie)
    w.campaign = CampaignFactory(name="Spring", owner=p.alice)
    w.communication = communication_create(campaign=w.campaign, actor=p.alice, name="Invite", subject="Hi",
                                           variants=[VariantSpec(), VariantSpec(subject="Hello")])  # fmt: skip
    for lead in (w.bob_lead, w.charlie_lead):
        Delivery.objects.create(communication=w.communication, variant=w.communication.variants.first(),
                                lead=lead, sent_at=now)  # fmt: skip
    w.criteria = criteria_with_rules(version=1)
    w.rule_set = RoutingRuleSet.objects.create(version=1, created_by=p.sam)  # a draft
    policy = SlaPolicy.objects.create(name="Default", is_default=True)

    def clock(lead, owner):
        return SlaClock.objects.create(lead=lead, kind=ClockKind.ACCEPT, policy=policy, owner=owner,
                                       started_at=now, due_at=now + timedelta(hours=8))  # fmt: skip

    w.bob_clock = clock(w.bob_lead, p.bob)
    w.charlie_clock = clock(w.charlie_lead, p.charlie)

    def note(user):
        return Notification.objects.create(
            user=user, kind=NotificationKind.SLA_REMINDER, subject=f"For {user}"
        )

    w.bob_note = note(p.bob)
    w.charlie_note = note(p.charlie)
    w.import_job = ImportJob.objects.create(original_name="leads.csv", created_by=p.alice)
    w.import_job.file.save("leads.csv", ContentFile(b"email,company\nnew@matrix.example,New\n"), save=True)
    w.import_job.error_file.save("errors.csv", ContentFile(b"email,error\n=1+1,bad\n"), save=True)
    w.endpoint = WebhookEndpoint.objects.create(name="Matrix hook", url="https://hooks.matrix.example/in",
                                                event_types=["lead.created"], created_by=p.root)  # fmt: skip
    w.webhook_delivery = WebhookDelivery.objects.create(endpoint=w.endpoint, event_type="lead.created",
                                                        status="failed", attempts=3)  # fmt: skip
    w.config_change = ChangeRecord.objects.filter(is_configuration=True).order_by("id").first()
    w.lead_change = ChangeRecord.objects.filter(object_type="leads.lead").order_by("id").first()
    return w
