"""What a door hands on once a lead is matched and scored, and the hook that takes it.

Every door (the API, the public form, email, incoming webhooks, the CSV import, re-scoring after a
criteria change) ends with the same hand-off, ``accord.intake.services.leads_hand_off``: route a new
MQL (after the external review when that step is on; the SLA clock starts with the assignment), give
a new nurture lead its track, flag possible duplicates. The doors live in ``accord.intake`` and call
it directly; bulk re-scoring, in qualification below the conductor, reaches it through ``hand_off``,
which ``accord.intake`` fills in its AppConfig.ready(): a low app never imports a high one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from accord.core.hooks import Hook
from accord.leads.submissions import DUPLICATE_KEY_FIELDS


@dataclass(frozen=True)
class HandOff:
    """One lead at the end of a door's matching and scoring, after its stage was written."""

    lead_id: int
    previous_stage: str  # "" for a lead the door has just created
    stage: str
    explanation: str = ""  # the scoring's explanation: the reason a nurture track records
    owner_id: int | None = None
    check_duplicates: bool = False  # created, or its phone, name or account changed
    # When the door took the lead, if not the hand-off's own moment: a batch of queued submissions
    # hands its leads off together, each entering nurture at its own submission's time.
    at: datetime | None = None

    @classmethod
    def of_submission(
        cls,
        *,
        lead_id: int,
        created: bool,
        previous_stage: str,
        stage: str,
        explanation: str,
        changes: Mapping[str, Any],
        owner_id: int | None = None,
        matches_nobody: bool = False,
        at: datetime | None = None,
    ) -> HandOff:
        """The hand-off of a submission: a new lead, or an update with these ``changes``.

        ``matches_nobody``: the door knows the lead cannot look like another one (no phone, and no
        name at an account any other lead is on, e.g. an account made for it in this transaction),
        so the duplicate check, which would find nothing, is skipped.
        """
        return cls(
            lead_id=lead_id,
            previous_stage="" if created else previous_stage,
            stage=stage,
            explanation=explanation,
            owner_id=owner_id,
            check_duplicates=not matches_nobody and (created or not DUPLICATE_KEY_FIELDS.isdisjoint(changes)),
            at=at,
        )


@dataclass
class HandOffSummary:
    """What one hand-off did: leads sent to routing, held for the external review, put in nurture,
    and the possible-duplicate pairs it queued."""

    routed: list[int]
    held_for_review: list[int]
    nurtured: list[int]
    duplicates_flagged: int


# ``hand_off(leads=[HandOff, ...], at=moment)``: filled by accord.intake with its ``leads_hand_off``.
hand_off: Hook[..., HandOffSummary] = Hook("leads hand-off")
