"""How research-question answers become a result that one or two loud reps cannot move.

Each rep who answered counts once: a rep's *share* for an option is the fraction of their own answers
that picked it, and the **weighted share** is the mean of those shares over reps (equal weight per rep).
The **naive share** (answers for the option / all answers) is shown beside it, so the difference is
visible. The **interval** is a 95% interval for the weighted share over reps: the wider of the Wilson
score interval with n = number of reps (each rep one observation) and the normal interval from the
spread of the reps' shares, so it is honest both when reps agree and when they disagree. **Skew** lights
when the two most active reps gave more than half of all answers (with at least three reps), or one rep
gave more than a third. Below the question's minimum sample (reps and answers), shares are withheld.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

Z95 = 1.959963984540054
SKEW_TOP_TWO_SHARE = 0.5
SKEW_TOP_ONE_SHARE = 1 / 3


@dataclass(frozen=True)
class OptionResult:
    option: str
    answers: int
    naive_share: float | None
    weighted_share: float | None
    interval: tuple[float, float] | None


@dataclass(frozen=True)
class QuestionResult:
    answers: int
    reps: int
    enough_data: bool
    skewed: bool
    top_rep_share: float
    top_two_reps_share: float
    options: list[OptionResult] = field(default_factory=list)


def wilson(p: float, n: int, z: float = Z95) -> tuple[float, float]:
    if n <= 0:
        return (0.0, 1.0)
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def compute(
    counts: dict[int, dict[str, int]], options: list[str], *, min_reps: int, min_answers: int
) -> QuestionResult:
    """``counts`` maps a rep's id to how often they picked each option."""
    per_rep_total = {rep: sum(by_option.values()) for rep, by_option in counts.items()}
    per_rep_total = {rep: total for rep, total in per_rep_total.items() if total > 0}
    total = sum(per_rep_total.values())
    reps = len(per_rep_total)
    ranked = sorted(per_rep_total.values(), reverse=True)
    top_one = ranked[0] / total if total else 0.0
    top_two = sum(ranked[:2]) / total if total else 0.0
    skewed = reps >= 2 and (top_one > SKEW_TOP_ONE_SHARE or (reps >= 3 and top_two > SKEW_TOP_TWO_SHARE))
    enough = reps >= min_reps and total >= min_answers
    option_totals: dict[str, int] = defaultdict(int)
    for by_option in counts.values():
        for option, n in by_option.items():
            option_totals[option] += n
    results = []
    for option in options:
        if not enough:
            results.append(OptionResult(option, option_totals[option], None, None, None))
            continue
        shares = [counts[rep].get(option, 0) / per_rep_total[rep] for rep in per_rep_total]
        weighted = sum(shares) / reps
        low, high = wilson(weighted, reps)
        if reps > 1:
            variance = sum((s - weighted) ** 2 for s in shares) / (reps - 1)
            half = Z95 * math.sqrt(variance / reps)
            low, high = min(low, max(0.0, weighted - half)), max(high, min(1.0, weighted + half))
        results.append(
            OptionResult(
                option,
                option_totals[option],
                option_totals[option] / total,
                weighted,
                (round(low, 4), round(high, 4)),
            )
        )
    return QuestionResult(
        answers=total,
        reps=reps,
        enough_data=enough,
        skewed=skewed,
        top_rep_share=round(top_one, 4),
        top_two_reps_share=round(top_two, 4),
        options=results,
    )
