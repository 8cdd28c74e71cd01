"""Which SLA policy applies to a lead, and why. Pure: takes the policies, returns one and a reason."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from accord.leads.models import Lead
from accord.sla.models import SlaPolicy


@dataclass(frozen=True)
class PolicyMatch:
    policy: SlaPolicy | None
    reason: str


def policy_conditions(policy: SlaPolicy, lead: Lead) -> tuple[bool, list[str]]:
    """Whether every condition of ``policy`` holds for ``lead``, with one phrase per condition."""
    reasons: list[str] = []
    ok = True
    if policy.min_score is not None:
        holds = lead.score >= policy.min_score
        ok &= holds
        reasons.append(f"score {lead.score} {'≥' if holds else '<'} {policy.min_score}")
    if policy.stage:
        holds = lead.stage == policy.stage
        ok &= holds
        reasons.append(f"stage {lead.stage} {'=' if holds else '≠'} {policy.stage}")
    if policy.source_id is not None:
        holds = lead.source_id == policy.source_id
        ok &= holds
        reasons.append(f"source {'is' if holds else 'is not'} {policy.source_id}")
    return ok, reasons


def policy_match(policies: Iterable[SlaPolicy], lead: Lead) -> PolicyMatch:
    """The first active non-default policy (by priority) whose conditions all hold, else the default."""
    default: SlaPolicy | None = None
    for policy in sorted(policies, key=lambda p: (p.priority, p.name)):
        if not policy.is_active:
            continue
        if policy.is_default:
            default = default or policy
            continue
        ok, reasons = policy_conditions(policy, lead)
        if ok:
            why = "; ".join(reasons) if reasons else "no conditions"
            return PolicyMatch(policy, f"policy '{policy.name}': {why}")
    if default is not None:
        return PolicyMatch(default, f"policy '{default.name}': default, no other policy matched")
    return PolicyMatch(None, "no policy matched and there is no default policy")
