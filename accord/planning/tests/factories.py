"""Plans for tests: a pre-plan and a plan, submitted to Team Health."""

from __future__ import annotations

from decimal import Decimal

from accord.planning.services import ItemSpec, plan_create, previews_send

ITEMS = [
    ItemSpec(kind="target", key="sqls", title="SQLs", amount=Decimal("400")),
    ItemSpec(kind="budget", key="events", title="Events budget", amount=Decimal("100000")),
    ItemSpec(
        kind="strategy",
        key="webinars",
        title="Webinar series",
        benefit_for_sales="Warm leads in your vertical",
    ),
]


def plan_make(personas, *, days: int = 2, pre_plan=ITEMS, plan_items=ITEMS, sponsor=None):
    return plan_create(
        actor=personas.alice,
        name="FY2027 plan",
        fiscal_year=2027,
        executive_sponsor=sponsor,
        escalation_business_days=days,
        pre_plan=pre_plan,
        plan_items=plan_items,
    )


def plan_previewed(personas, **kwargs):
    plan = plan_make(personas, **kwargs)
    (preview,) = previews_send(plan=plan, actor=personas.alice, teams=[personas.health])
    return plan, preview
