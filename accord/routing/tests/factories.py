"""Factories for routing tests: leads, accounts, queues and rules."""

from __future__ import annotations

import itertools
from typing import Any

from accord.leads.models import Account, Lead, Stage
from accord.routing.models import Queue, RoutingRule, RoutingRuleSet, RuleSetStatus, TargetKind

_numbers = itertools.count(1)


def make_lead(**fields: Any) -> Lead:
    n = next(_numbers)
    email = fields.pop("email", f"lead{n}@example{n}.org")
    fields.setdefault("stage", Stage.MQL)
    return Lead.objects.create(email=email, email_key=email.lower(), **fields)


def make_account(name: str = "Acme", **fields: Any) -> Account:
    return Account.objects.create(name=name, name_key=name.lower(), **fields)


def make_queue(name: str = "Inbound", **fields: Any) -> Queue:
    return Queue.objects.create(name=name, **fields)


def active_rules(*rules: dict[str, Any]) -> RoutingRuleSet:
    """An active rule set holding ``rules`` in order (dicts of RoutingRule fields)."""
    version = (RoutingRuleSet.objects.order_by("-version").values_list("version", flat=True).first() or 0) + 1
    RoutingRuleSet.objects.filter(status=RuleSetStatus.ACTIVE).update(status=RuleSetStatus.RETIRED)
    rule_set = RoutingRuleSet.objects.create(version=version, status=RuleSetStatus.ACTIVE)
    for position, spec in enumerate(rules, start=1):
        spec = dict(spec)
        spec.setdefault("name", f"Rule {position}")
        spec.setdefault("conditions", [])
        if "target_team" in spec:
            spec.setdefault("target_kind", TargetKind.TEAM)
        elif "target_user" in spec:
            spec.setdefault("target_kind", TargetKind.USER)
        else:
            spec.setdefault("target_kind", TargetKind.QUEUE)
        RoutingRule.objects.create(rule_set=rule_set, position=position, **spec)
    return rule_set


def cond(field: str, operator: str, value: Any = "") -> dict[str, Any]:
    return {"field": field, "operator": operator, "value": value}
