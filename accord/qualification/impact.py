"""What signing a criteria version would do, before anyone signs it: how many open leads would change
stage, in which direction, with examples.

Computed by the bulk engine over the same records ``criteria_rescore`` writes after activation
(``records_frame`` + ``evaluate_frame``), so the preview and the re-scoring agree by construction;
nothing is written. The result is kept for a minute per version (the page and the API ask often,
leads change slowly), and examples are shown only from leads the reader may see.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import polars as pl
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from accord.leads.models import MARKETING_STAGES, Stage
from accord.people.access import leads_visible_to
from accord.people.models import User
from accord.qualification.bulk import activities_frame, evaluate_frame, records_frame
from accord.qualification.models import CriteriaSet
from accord.qualification.selectors import criteria_spec_of

EXAMPLES_PER_MOVE = 5
# Candidates per move looked up for examples the reader may see (bounded, whatever the table size).
EXAMPLE_CANDIDATES = 100
CACHE_SECONDS = 60

_STAGE_LABELS = dict(Stage.choices)


@dataclass
class StageMove:
    """Leads that would go from one stage to another."""

    from_stage: str
    to_stage: str
    count: int
    direction: str  # "to_sales" (into MQL), "from_sales" (out of MQL), "other"
    candidate_ids: list[int]
    new_scores: list[int]
    examples: list[dict[str, Any]] = field(default_factory=list)

    @property
    def from_label(self) -> str:
        return _STAGE_LABELS.get(self.from_stage, self.from_stage)

    @property
    def to_label(self) -> str:
        return _STAGE_LABELS.get(self.to_stage, self.to_stage)

    @property
    def direction_words(self) -> str:
        return {
            "to_sales": "would become MQLs and go to sales",
            "from_sales": "would stop being MQLs",
            "other": "would move",
        }[self.direction]


@dataclass
class Impact:
    version: int
    evaluated: int
    score_changed: int
    moves: list[StageMove]
    computed_at: datetime

    @property
    def stage_changed(self) -> int:
        return sum(m.count for m in self.moves)

    @property
    def to_sales(self) -> int:
        return sum(m.count for m in self.moves if m.direction == "to_sales")

    @property
    def from_sales(self) -> int:
        return sum(m.count for m in self.moves if m.direction == "from_sales")


def _direction(before: str, after: str) -> str:
    if after == Stage.MQL:
        return "to_sales"
    if before == Stage.MQL:
        return "from_sales"
    return "other"


def _compute(criteria_set: CriteriaSet, as_of: datetime) -> Impact:
    spec = criteria_spec_of(criteria_set)
    records = records_frame(None, only_open=True)
    if records.height == 0:
        return Impact(spec.version, 0, 0, [], as_of)
    activities = activities_frame(None) if any(r.kind == "engagement" for r in spec.rules) else None
    result = evaluate_frame(spec, records, activities, as_of).select("lead_key", "score", "decision")
    marketing = [str(s) for s in MARKETING_STAGES]
    joined = result.join(
        records.select("lead_key", "_stage", "_score"), on="lead_key", how="left"
    ).with_columns(
        new_stage=pl.when(pl.col("_stage").is_in(marketing))
        .then(pl.col("decision"))
        .otherwise(pl.col("_stage"))
    )
    score_changed = joined.filter(pl.col("_score").is_null() | (pl.col("score") != pl.col("_score"))).height
    moved = joined.filter(pl.col("new_stage") != pl.col("_stage"))
    grouped = (
        moved.sort("lead_key", descending=True)
        .group_by("_stage", "new_stage")
        .agg(
            pl.len().alias("count"),
            pl.col("lead_key").head(EXAMPLE_CANDIDATES).alias("ids"),
            pl.col("score").head(EXAMPLE_CANDIDATES).alias("scores"),
        )
        .sort("count", "_stage", "new_stage", descending=[True, False, False])
    )
    moves = [
        StageMove(
            from_stage=row["_stage"],
            to_stage=row["new_stage"],
            count=row["count"],
            direction=_direction(row["_stage"], row["new_stage"]),
            candidate_ids=list(row["ids"]),
            new_scores=list(row["scores"]),
        )
        for row in grouped.iter_rows(named=True)
    ]
    return Impact(spec.version, joined.height, score_changed, moves, as_of)


def criteria_impact(*, criteria_set: CriteriaSet, user: User, as_of: datetime | None = None) -> Impact:
    """How many open leads would change stage if ``criteria_set`` became active now, by move, with up to
    five examples per move among the leads ``user`` may see."""
    now = as_of or timezone.now()
    key = f"criteria-impact:{criteria_set.pk}:{criteria_set.updated_at.isoformat()}"
    impact: Impact | None = cache.get(key) if as_of is None else None
    if impact is None:
        impact = _compute(criteria_set, now)
        if as_of is None:
            cache.set(key, impact, CACHE_SECONDS)
    wanted = {i for m in impact.moves for i in m.candidate_ids}
    visible = {
        row["pk"]: row
        for row in leads_visible_to(user)
        .filter(pk__in=wanted)
        .values("pk", "first_name", "last_name", "email", "company", "score")
    }
    for move in impact.moves:
        move.examples = [
            {
                "id": pk,
                "name": " ".join(p for p in (visible[pk]["first_name"], visible[pk]["last_name"]) if p)
                or visible[pk]["email"],
                "company": visible[pk]["company"],
                "score": visible[pk]["score"],
                "new_score": new_score,
                "url": reverse("leads:detail", args=[pk]),
            }
            for pk, new_score in zip(move.candidate_ids, move.new_scores, strict=True)
            if pk in visible
        ][:EXAMPLES_PER_MOVE]
    return impact
