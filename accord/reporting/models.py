"""Rollup tables the dashboards read instead of scanning the raw event log on every request.

All three are derived data: ``rollups.rollups_refresh`` keeps them in step with ``core.Event`` (by a
watermark on ``Event.id``) and ``rollups.rollups_rebuild`` recomputes them from scratch. Dimension
columns hold 0 for "none" (not NULL) so that the unique key of a daily row is a real key.
"""

from __future__ import annotations

from django.db import models


class LeadFact(models.Model):
    """One row per lead: when it was created, its cut dimensions, where it is now, how far it got."""

    lead_id = models.BigIntegerField(primary_key=True)
    created_day = models.DateField()
    source_id = models.BigIntegerField(default=0)
    campaign_id = models.BigIntegerField(default=0)
    owner_id = models.BigIntegerField(default=0)
    criteria_id = models.BigIntegerField(default=0)
    current_stage = models.CharField(max_length=16)
    furthest_rank = models.SmallIntegerField(
        default=0, help_text="Highest funnel rank ever entered (1 inquiry ... 6 customer; 0 none)."
    )

    class Meta:
        indexes = [models.Index(fields=["created_day"], name="leadfact_created_day")]

    def __str__(self) -> str:
        return f"lead {self.lead_id}: {self.current_stage} (furthest rank {self.furthest_rank})"


class StageDaily(models.Model):
    """How many times leads entered a stage on one UTC day, per cut dimension combination."""

    day = models.DateField()
    stage = models.CharField(max_length=16)
    source_id = models.BigIntegerField(default=0)
    campaign_id = models.BigIntegerField(default=0)
    owner_id = models.BigIntegerField(default=0)
    criteria_id = models.BigIntegerField(default=0)
    entries = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "stage", "source_id", "campaign_id", "owner_id", "criteria_id"],
                name="stagedaily_key",
            )
        ]
        indexes = [models.Index(fields=["day", "stage"], name="stagedaily_day_stage")]

    def __str__(self) -> str:
        return f"{self.day} {self.stage}: {self.entries}"


class StageSpan(models.Model):
    """One completed stay of a lead in a stage: entered at one stage event, left at the next."""

    lead_id = models.BigIntegerField()
    stage = models.CharField(max_length=16)
    entered_at = models.DateTimeField()
    exited_day = models.DateField()
    seconds = models.BigIntegerField()
    source_id = models.BigIntegerField(default=0)
    campaign_id = models.BigIntegerField(default=0)
    owner_id = models.BigIntegerField(default=0)
    criteria_id = models.BigIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["exited_day", "stage"], name="stagespan_exit_stage"),
            models.Index(fields=["lead_id"], name="stagespan_lead"),
        ]

    def __str__(self) -> str:
        return f"lead {self.lead_id} in {self.stage} for {self.seconds}s"


class RollupState(models.Model):
    """The single row recording up to which Event.id the rollups are complete."""

    event_watermark = models.BigIntegerField(default=0)
    refreshed_at = models.DateTimeField(null=True, blank=True)
    rebuilt_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"rollups complete up to event {self.event_watermark}"
