"""Editing SLA policies in Accord's own pages (not Django's admin): the form, the one write and who may.

Admins and the sales head change policies (they hold every team to them); everyone else who works
leads reads them. A changed policy applies to clocks started after the change; running clocks keep
the deadline they were given.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db import transaction

from accord.core.errors import AccessDenied, Conflict
from accord.people.access import TEAM_ADMIN_ROLES, is_signed_in
from accord.people.models import Role, User
from accord.sla.models import SlaPolicy

POLICY_EDITOR_ROLES = TEAM_ADMIN_ROLES
POLICY_READER_ROLES = frozenset({*TEAM_ADMIN_ROLES, Role.SALES_MANAGER, Role.MARKETING_HEAD, Role.EXECUTIVE})

POLICY_FIELDS = [
    "name",
    "priority",
    "is_active",
    "is_default",
    "min_score",
    "stage",
    "source",
    "accept_hours",
    "first_touch_hours",
    "next_touch_hours",
    "reminder_before_minutes",
    "escalate_after_hours",
    "recycle_after_hours",
]


def sla_policies_can_edit(user: Any) -> bool:
    return is_signed_in(user) and user.has_role(*POLICY_EDITOR_ROLES)


def sla_policies_can_read(user: Any) -> bool:
    return is_signed_in(user) and user.has_role(*POLICY_READER_ROLES)


class SlaPolicyForm(forms.ModelForm):
    class Meta:
        model = SlaPolicy
        fields = POLICY_FIELDS
        labels = {
            "is_active": "In use",
            "is_default": "Default policy (when no other matches)",
            "min_score": "Only leads scoring at least",
            "stage": "Only leads in stage",
            "source": "Only leads from source",
            "accept_hours": "Accept or reject within (business hours)",
            "first_touch_hours": "First touch within (business hours after accepting)",
            "next_touch_hours": "Next touch within (business hours after a touch)",
            "reminder_before_minutes": "Remind the rep (minutes before a deadline)",
            "escalate_after_hours": "Escalate a breach after (business hours)",
            "recycle_after_hours": "Give a breached lead to a teammate after (business hours)",
        }

    def _get_validation_exclusions(self) -> set[str]:
        # "One default policy" is kept by the service, which takes the flag from the old default when
        # this one becomes the default; the form must not refuse that as a clash. (Django's own hook,
        # missing from the type stubs.)
        return {*super()._get_validation_exclusions(), "is_default"}  # type: ignore[misc]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in ("accept_hours", "first_touch_hours", "next_touch_hours", "escalate_after_hours"):
            value = data.get(name)
            if value is not None and value <= 0:
                self.add_error(name, "Must be more than 0 hours.")
        value = data.get("recycle_after_hours")
        if value is not None and value <= 0:
            self.add_error("recycle_after_hours", "Must be more than 0 hours, or empty for never.")
        return data


@transaction.atomic
def sla_policy_save(*, actor: User, form: SlaPolicyForm) -> SlaPolicy:
    """Save a valid policy form; making a policy the default takes that from the previous default."""
    if not sla_policies_can_edit(actor):
        raise AccessDenied("Only the sales head and admins change SLA policies.")
    policy: SlaPolicy = form.save(commit=False)
    if policy.is_default:
        SlaPolicy.objects.select_for_update().filter(is_default=True).exclude(pk=policy.pk).update(
            is_default=False
        )
    elif policy.pk and not SlaPolicy.objects.filter(is_default=True).exclude(pk=policy.pk).exists():
        was_default = SlaPolicy.objects.filter(pk=policy.pk, is_default=True).exists()
        if was_default:
            raise Conflict(
                "This is the default policy: make another policy the default first.",
                detail={"is_default": "a default is needed"},
            )
    policy.full_clean()
    policy.save()
    return policy
