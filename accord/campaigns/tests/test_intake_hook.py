"""The hook as the intake pipeline will call it: with the submission's own UTM values, once per submission."""

from __future__ import annotations

from datetime import UTC, datetime

from accord.campaigns.models import Touchpoint
from accord.campaigns.services import campaign_create
from accord.campaigns.touchpoint_services import UTM_FIELDS, touchpoint_record_from_intake
from accord.intake.services import lead_intake
from accord.leads.models import Source
from accord.leads.submissions import submission_validate


def intake_with_hook(data, *, channel, source, occurred_at):
    """lead_intake followed by the hook call proposed for it (the leads app owns the real wiring)."""
    result = lead_intake(data=data, channel=channel, source=source, occurred_at=occurred_at)
    sub = submission_validate(data)
    touchpoint_record_from_intake(
        lead=result.lead,
        activity=sub.activity,
        channel=channel,
        occurred_at=occurred_at,
        utm={name: str(sub.fields.get(name) or "") for name in UTM_FIELDS},
        source=source,
    )
    return result


def test_each_submission_is_a_touch_on_the_campaign_its_own_utm_names(personas):
    spring = campaign_create(name="Spring", utm_campaign="spring", actor=personas.alice)
    autumn = campaign_create(name="Autumn", utm_campaign="autumn", actor=personas.alice)
    source = Source.objects.create(name="Website")
    first = datetime(2026, 3, 1, 9, tzinfo=UTC)
    second = datetime(2026, 9, 1, 9, tzinfo=UTC)
    intake_with_hook(
        {"email": "ann@acme.test", "utm_campaign": "Spring", "utm_medium": "email"},
        channel="form",
        source=source,
        occurred_at=first,
    )
    result = intake_with_hook(
        {"email": "ann@acme.test", "utm_campaign": "AUTUMN"},
        channel="form",
        source=source,
        occurred_at=second,
    )
    # The lead keeps its first-touch UTM; the touches record every submission's own campaign.
    assert result.lead.utm_campaign == "Spring"
    touches = list(Touchpoint.objects.filter(lead=result.lead).order_by("occurred_at"))
    assert [t.campaign for t in touches] == [spring, autumn]
    assert [t.kind for t in touches] == ["form_submission", "form_submission"]
    assert touches[0].source == source
