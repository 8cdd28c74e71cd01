"""Rollup tables the dashboards read instead of scanning the raw event log on every request.

All are derived data: ``rollups.rollups_refresh`` keeps them in step with ``core.Event`` (by a
watermark on ``Event.id``) and ``rollups.rollups_rebuild`` recomputes them from scratch. Dimension
columns hold 0 for "none" (not NULL) so that the unique key of a daily row is a real key.

The fine tables (``LeadFact``, ``StageDaily``, ``StageSpan``) carry every cut dimension at once and
are nearly as large as the data at scale (one row per lead, per stage entry, per stay). The *grain*
tables (``StageDailyCut``, ``CohortDaily``, ``StayDaily``) hold the same counts summed over all but
at most one dimension: ``grain`` names the dimension kept (``source``, ``campaign``, ``owner``,
``criteria``) or is ``""`` for none, and the other dimension columns are 0. A query whose cut and
breakdown need at most one dimension reads a grain table (a few hundred rows a day instead of
thousands); the rest read the fine tables.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

# The dimension columns of CutDimensions, in the order the rollups' unique keys end with them.
CUT_COLUMNS = ["source_id", "campaign_id", "owner_id", "criteria_id"]


class CutDimensions(models.Model):
    """The four cut dimensions every rollup row carries (0 for "none", so keys are real keys)."""

    source_id = models.BigIntegerField(default=0)
    campaign_id = models.BigIntegerField(default=0)
    owner_id = models.BigIntegerField(default=0)
    criteria_id = models.BigIntegerField(default=0)

    class Meta:
        abstract = True


class LeadFact(CutDimensions):
    """One row per lead: when it was created, its cut dimensions, where it is now, how far it got."""

    lead_id = models.BigIntegerField(primary_key=True)
    created_day = models.DateField()
    current_stage = models.CharField(max_length=16)
    furthest_rank = models.SmallIntegerField(
        default=0, help_text="Highest funnel rank ever entered (1 inquiry ... 6 customer; 0 none)."
    )

    class Meta:
        indexes = [models.Index(fields=["created_day"], name="leadfact_created_day")]

    def __str__(self) -> str:
        return f"lead {self.lead_id}: {self.current_stage} (furthest rank {self.furthest_rank})"


class StageDaily(CutDimensions):
    """How many times leads entered a stage on one UTC day, per cut dimension combination."""

    day = models.DateField()
    stage = models.CharField(max_length=16)
    entries = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "stage", *CUT_COLUMNS],
                name="stagedaily_key",
            )
        ]
        indexes = [
            models.Index(fields=["day", "stage"], name="stagedaily_day_stage"),
            # A refresh deletes the rows its subtraction emptied; this keeps that from scanning the table.
            models.Index(fields=["id"], condition=Q(entries=0), name="stagedaily_emptied"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.stage}: {self.entries}"


class StageSpan(CutDimensions):
    """One completed stay of a lead in a stage: entered at one stage event, left at the next."""

    lead_id = models.BigIntegerField()
    stage = models.CharField(max_length=16)
    entered_at = models.DateTimeField()
    exited_day = models.DateField()
    seconds = models.BigIntegerField()

    class Meta:
        indexes = [
            models.Index(fields=["exited_day", "stage"], name="stagespan_exit_stage"),
            models.Index(fields=["lead_id"], name="stagespan_lead"),
            # The velocity percentiles read the stays of one stage within one day bucket of duration.
            models.Index(fields=["stage", "seconds", "exited_day"], name="stagespan_stage_seconds"),
        ]

    def __str__(self) -> str:
        return f"lead {self.lead_id} in {self.stage} for {self.seconds}s"


GRAINS: tuple[str, ...] = ("", "source", "campaign", "owner", "criteria")


class StageDailyCut(CutDimensions):
    """``StageDaily`` summed to one grain: stage entries per UTC day, overall or per one dimension."""

    grain = models.CharField(max_length=8, blank=True)
    day = models.DateField()
    stage = models.CharField(max_length=16)
    entries = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["grain", "day", "stage", *CUT_COLUMNS],
                name="stagedailycut_key",
            )
        ]
        indexes = [models.Index(fields=["id"], condition=Q(entries=0), name="stagedailycut_emptied")]

    def __str__(self) -> str:
        return f"{self.grain or 'all'} {self.day} {self.stage}: {self.entries}"


class CohortDaily(CutDimensions):
    """``LeadFact`` counted to one grain: leads per created day, current stage and furthest rank."""

    grain = models.CharField(max_length=8, blank=True)
    created_day = models.DateField()
    current_stage = models.CharField(max_length=16)
    furthest_rank = models.SmallIntegerField(default=0)
    leads = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["grain", "created_day", "current_stage", "furthest_rank", *CUT_COLUMNS],
                name="cohortdaily_key",
            )
        ]
        indexes = [models.Index(fields=["id"], condition=Q(leads=0), name="cohortdaily_emptied")]

    def __str__(self) -> str:
        return f"{self.grain or 'all'} {self.created_day} {self.current_stage}: {self.leads}"


class StayDaily(CutDimensions):
    """``StageSpan`` counted to one grain: stays per exit day, stage and whole days of duration.

    A histogram: the velocity percentiles find the day bucket holding the wanted rank here and then
    read only that bucket's stays from ``StageSpan`` for the exact second."""

    grain = models.CharField(max_length=8, blank=True)
    exited_day = models.DateField()
    stage = models.CharField(max_length=16)
    days = models.IntegerField(help_text="Whole days the stays lasted (seconds // 86400).")
    stays = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["grain", "exited_day", "stage", "days", *CUT_COLUMNS],
                name="staydaily_key",
            )
        ]
        indexes = [models.Index(fields=["id"], condition=Q(stays=0), name="staydaily_emptied")]

    def __str__(self) -> str:
        return f"{self.grain or 'all'} {self.exited_day} {self.stage} {self.days}d: {self.stays}"


class DecisionDaily(models.Model):
    """Accept and reject decisions (``lead.accepted`` / ``lead.rejected`` events) per UTC day and user."""

    day = models.DateField()
    actor_id = models.BigIntegerField(default=0)
    type = models.CharField(max_length=64)
    decisions = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "actor_id", "type"], name="decisiondaily_key")]

    def __str__(self) -> str:
        return f"{self.day} user {self.actor_id} {self.type}: {self.decisions}"


class RollupState(models.Model):
    """The single row recording up to which Event.id the rollups are complete."""

    event_watermark = models.BigIntegerField(default=0)
    refreshed_at = models.DateTimeField(null=True, blank=True)
    rebuilt_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"rollups complete up to event {self.event_watermark}"
