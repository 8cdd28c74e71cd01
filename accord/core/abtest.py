"""A/B tests of two variants: the two-proportion z-test, its confidence interval, the sample size a
test needs, and a verdict in plain words. Pure functions: no database, no clock.

- z statistic with the pooled proportion (the null hypothesis says both rates are equal);
- the confidence interval of the difference with the unpooled (Wald) standard error;
- sample size per arm for a minimum detectable effect (absolute, in proportion points) with the
  usual normal-approximation formula (Fleiss, without continuity correction):
  n = (z_{1-a/2} * sqrt(2 p(1-p)) + z_{1-b} * sqrt(p1(1-p1) + p2(1-p2)))^2 / (p2 - p1)^2,  p = (p1+p2)/2.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

NORMAL = NormalDist()
ALPHA = 0.05
POWER = 0.8


@dataclass(frozen=True)
class Variant:
    """One arm of a test: how many were shown it (trials) and how many converted."""

    name: str
    conversions: int
    trials: int

    def __post_init__(self) -> None:
        if self.trials < 0 or self.conversions < 0 or self.conversions > self.trials:
            raise ValueError(f"variant {self.name}: need 0 <= conversions <= trials")

    @property
    def rate(self) -> float:
        return self.conversions / self.trials if self.trials else 0.0


@dataclass(frozen=True)
class TestResult:
    a: Variant
    b: Variant
    difference: float  # b.rate - a.rate
    z: float | None
    p_value: float | None
    ci_low: float
    ci_high: float
    needed_per_variant: int | None
    significant: bool
    verdict: str


def z_test(a: Variant, b: Variant) -> tuple[float | None, float | None]:
    """Two-sided two-proportion z-test with the pooled proportion: (z, p-value); None when undefined."""
    if not a.trials or not b.trials:
        return None, None
    pooled = (a.conversions + b.conversions) / (a.trials + b.trials)
    se = math.sqrt(pooled * (1 - pooled) * (1 / a.trials + 1 / b.trials))
    if se == 0:
        return None, None
    z = (b.rate - a.rate) / se
    return z, 2 * (1 - NORMAL.cdf(abs(z)))


def difference_interval(a: Variant, b: Variant, confidence: float = 0.95) -> tuple[float, float]:
    """Wald interval of ``b.rate - a.rate``."""
    if not a.trials or not b.trials:
        return (-1.0, 1.0)
    se = math.sqrt(a.rate * (1 - a.rate) / a.trials + b.rate * (1 - b.rate) / b.trials)
    z = NORMAL.inv_cdf(1 - (1 - confidence) / 2)
    diff = b.rate - a.rate
    return diff - z * se, diff + z * se


def sample_size_per_variant(baseline: float, mde: float, alpha: float = ALPHA, power: float = POWER) -> int:
    """Trials each variant needs to detect an absolute change ``mde`` from ``baseline``."""
    if not 0 < baseline < 1 or mde == 0 or not 0 < baseline + mde < 1:
        raise ValueError("baseline and baseline + mde must be proportions strictly between 0 and 1")
    p1, p2 = baseline, baseline + mde
    p_bar = (p1 + p2) / 2
    z_alpha = NORMAL.inv_cdf(1 - alpha / 2)
    z_beta = NORMAL.inv_cdf(power)
    top = z_alpha * math.sqrt(2 * p_bar * (1 - p_bar)) + z_beta * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))
    return math.ceil(top**2 / mde**2)


def _pct(x: float) -> str:
    return f"{x * 100:.1f}%"


def _p(p: float) -> str:
    if p < 0.001:
        return "p<0.001"
    return f"p={p:.3f}" if p < 0.01 else f"p={p:.2f}"


def compare(a: Variant, b: Variant, *, mde: float | None = None, alpha: float = ALPHA) -> TestResult:
    """Judge B against A. ``mde`` is the smallest absolute difference worth detecting (default: a
    fifth of A's rate, at least half a point)."""
    z, p = z_test(a, b)
    low, high = difference_interval(a, b, 1 - alpha)
    baseline = a.rate if 0 < a.rate < 1 else (b.rate if 0 < b.rate < 1 else 0.05)
    effect = mde if mde is not None else max(baseline * 0.2, 0.005)
    if baseline + effect >= 1:
        effect = -effect
    needed = sample_size_per_variant(baseline, effect, alpha)
    diff = b.rate - a.rate
    significant = p is not None and p < alpha
    ci = f"{100 - alpha * 100:.0f}% CI {low * 100:.1f} to {high * 100:.1f}"
    if significant:
        better, worse = (b, a) if diff > 0 else (a, b)
        verdict = (
            f"{better.name} converts better than {worse.name}: {_pct(better.rate)} vs {_pct(worse.rate)}, "
            f"difference {abs(diff) * 100:.1f} points ({ci}), {_p(p or 0)}"
        )
    elif min(a.trials, b.trials) < needed:
        verdict = (
            f"Not enough data yet: need about {needed:,} per variant to detect a difference of "
            f"{abs(effect) * 100:.1f} points ({a.name} {_pct(a.rate)} of {a.trials:,}, "
            f"{b.name} {_pct(b.rate)} of {b.trials:,})"
        )
    else:
        verdict = (
            f"No real difference found between {a.name} and {b.name}: {_pct(a.rate)} vs {_pct(b.rate)} "
            f"({ci} points{', ' + _p(p) if p is not None else ''})"
        )
    return TestResult(a, b, diff, z, p, low, high, needed, significant, verdict)
