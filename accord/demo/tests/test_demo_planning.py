"""The demo's joint plan: drastic changes, previews, disagreements, goals, meetings, promises, launches."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_joint_plan_with_its_workflow_under_way(settings, tmp_path):
    from accord.campaigns.models import Campaign
    from accord.planning.models import Disagreement, Goal, Meeting, Plan, Promise, ProspectProfile
    from accord.planning.selectors import publish_blockers

    settings.DATA_DIR = tmp_path
    call_command("demo", "--leads", "120", "--seed", "5", stdout=StringIO())
    plan = Plan.objects.get()
    assert plan.executive_sponsor.username == "elena"
    kinds = set(plan.drastic_changes.values_list("kind", flat=True))
    assert {"target_moved", "budget_moved", "strategy_added", "strategy_dropped"} <= kinds
    assert publish_blockers(plan)  # unexplained changes and an open disagreement: not publishable yet
    assert set(Disagreement.objects.values_list("status", flat=True)) == {"open", "resolved"}
    assert Goal.objects.filter(side="marketing", serves__isnull=False).exists()
    assert (
        Meeting.objects.filter(kind="pre_planning").exists() and Meeting.objects.filter(kind="team").exists()
    )
    assert Promise.objects.filter(kept_at__isnull=False).exists() and ProspectProfile.objects.exists()
    launches = Campaign.objects.filter(is_launch=True)
    assert launches.count() == 2 and launches.exclude(override_reason="").count() == 1
