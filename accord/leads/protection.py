"""Which submitted values may overwrite a lead, and which are only proposed (the rule in one place).

"Newest value wins" is right for marketing data, but a public form or an unsigned webhook can be
posted by anyone who knows an email address. So an *anonymous* submission (no signed-in user, no
signature) may fill empty fields and add activity, but does not overwrite the identity fields of a
lead that sales has accepted (stage SAL or later) or that a person edited by hand (the audit trail
holds an update with an actor through a page, the admin site or the API). Those values are kept
as a proposed change (event ``lead.change_proposed``) that someone who may act on the lead applies
in one click (``lead_proposed_change_apply``). Signed sources, the authenticated API and imports
keep "newest value wins". docs/intake.md says the same for users.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from accord.audit.models import AuditChannel, ChangeAction, ChangeRecord
from accord.core.models import Channel
from accord.leads.models import Lead, Source, Stage
from accord.people import access
from accord.people.models import User

# Fields that say who the person is; marketing data (UTM, size, industry, message...) stays newest-wins.
IDENTITY_FIELDS = ("first_name", "last_name", "title", "company", "phone", "website")
# Sales has accepted the lead: SAL and every stage after it.
SALES_STAGES = frozenset(
    {Stage.SAL, Stage.SQL, Stage.OPPORTUNITY, Stage.CUSTOMER, Stage.LOYAL, Stage.ADVOCATE}
)
# Channels on which an update with an actor is a person's own edit.
HAND_EDIT_CHANNELS = (AuditChannel.PAGE, AuditChannel.ADMIN, AuditChannel.API)
PROPOSED_EVENT = "lead.change_proposed"
APPLIED_EVENT = "lead.proposed_change_applied"


def intake_is_anonymous(*, channel: str, source: Source | None, actor: User | None) -> bool:
    """True for the public doors without proof of who sent it: a form or hook of an unsigned source."""
    if actor is not None and getattr(actor, "is_authenticated", False):
        return False
    if source is None or source.require_signature:
        return False  # internal callers (demo, commands) and signed sources (checked by the door)
    return channel in (Channel.FORM, Channel.API)


def identity_differences(*, current: Mapping[str, Any], submitted: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Identity fields the submission would overwrite, as {field: [old, new]}; empty fields are not."""
    found: dict[str, list[Any]] = {}
    for name in IDENTITY_FIELDS:
        new, old = submitted.get(name), current.get(name)
        if new in (None, "") or old in (None, "") or new == old:
            continue
        found[name] = [old, new]
    return found


def identity_changes_held(
    *, current: Mapping[str, Any], submitted: Mapping[str, Any], stage: str, hand_edited: bool
) -> dict[str, list[Any]]:
    """For an anonymous submission: the identity fields it may not overwrite, as {field: [old, new]}.

    Pure: ``current`` holds the lead's values, ``submitted`` the normalised submission. Empty fields
    are never held (a submission may fill them); nothing is held unless the lead is protected.
    """
    if stage not in SALES_STAGES and not hand_edited:
        return {}
    return identity_differences(current=current, submitted=submitted)


def lead_hand_edited(lead: Lead) -> bool:
    """Whether a person changed an identity field of this lead by hand (page, admin site or API)."""
    return ChangeRecord.objects.filter(
        object_type="leads.lead",
        object_id=str(lead.pk),
        action=ChangeAction.UPDATE,
        channel__in=HAND_EDIT_CHANNELS,
        actor__isnull=False,
        changes__has_any_keys=list(IDENTITY_FIELDS),
    ).exists()


def lead_changes_to_hold(
    *, lead: Lead, submitted: Mapping[str, Any], channel: str, source: Source | None, actor: User | None
) -> dict[str, list[Any]]:
    """The intake hook: {field: [old, new]} an anonymous submission proposes instead of writing."""
    if not intake_is_anonymous(channel=channel, source=source, actor=actor):
        return {}
    current = {name: getattr(lead, name) for name in IDENTITY_FIELDS}
    if not identity_differences(current=current, submitted=submitted):
        return {}  # nothing would be overwritten: no need to ask the audit trail
    hand_edited = lead.stage not in SALES_STAGES and lead_hand_edited(lead)
    return identity_changes_held(
        current=current, submitted=submitted, stage=lead.stage, hand_edited=hand_edited
    )


def may_apply_proposed_change(user: access.Viewer, lead: Lead) -> bool:
    """Who may apply a proposal: whoever may change the lead's stage (accord.people.access: its owner
    and the people who manage them, marketing, the heads and admins)."""
    return access.leads_actionable_by(user, "stage").filter(pk=lead.pk).exists()
