"""The pipeline a door in this app runs, and the hook that takes it.

``POST /api/v1/leads`` stays in ``accord/leads/api.py`` beside ``GET /api/v1/leads``: two routers
cannot share one path (the first one's URL pattern would answer 405 to the other's method). Its
pipeline is the conductor's ``accord.intake.services.lead_intake``, which this app may not import
(DESIGN.md, layers); the operation calls it through ``lead_intake``, a hook ``accord.intake`` fills
in its AppConfig.ready(). The other doors (the public form, email, incoming webhooks, the CSV
import) live in intake or above it and call the conductor directly.
"""

from __future__ import annotations

from typing import Protocol

from accord.core.hooks import Hook
from accord.leads.models import Lead


class IntakeOutcome(Protocol):
    """What the API needs of one submission's result (intake's ``IntakeResult`` has more)."""

    @property
    def lead(self) -> Lead: ...

    @property
    def created(self) -> bool: ...


# ``lead_intake(data=..., channel=..., source=..., actor=...)``: filled by accord.intake with its
# ``lead_intake``.
lead_intake: Hook[..., IntakeOutcome] = Hook("lead intake")
