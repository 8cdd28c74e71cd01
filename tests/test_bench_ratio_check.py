"""The CI ratio check's verdicts (benchmarks/ratio_check.py): a large regression fails, noise passes.

No timing here: only the comparison of given figures with given baselines.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("ratio_check", ROOT / "benchmarks" / "ratio_check.py")
assert _spec and _spec.loader
ratio_check = importlib.util.module_from_spec(_spec)
sys.modules["ratio_check"] = ratio_check  # dataclasses look their module up
_spec.loader.exec_module(ratio_check)

BASELINES = {
    "factor": 3.0,
    "ratios": {
        "import": {"value": 0.4, "better": "higher"},
        "cpu": {"value": 5.0, "better": "lower"},
    },
}


def _failed(measured: dict[str, float]) -> set[str]:
    return {v.name for v in ratio_check.compare(measured, BASELINES) if v.failed}


def test_noise_either_way_passes():
    # Load on a shared machine moves a ratio by tens of percent, even twice as bad: never a failure.
    assert _failed({"import": 0.25, "cpu": 9.0}) == set()
    assert _failed({"import": 0.6, "cpu": 2.0}) == set()
    assert _failed({"import": 0.14, "cpu": 14.9}) == set()


def test_more_than_three_times_worse_fails_in_the_right_direction():
    assert _failed({"import": 0.12, "cpu": 5.0}) == {"import"}  # a third of the baseline's rate, and less
    assert _failed({"import": 0.4, "cpu": 15.5}) == {"cpu"}  # more than 3x the CPU
    assert _failed({"import": 0.05, "cpu": 40.0}) == {"import", "cpu"}
    # Far better is never a failure, whichever way "better" points.
    assert _failed({"import": 4.0, "cpu": 0.1}) == set()


def test_verdict_says_how_much_worse():
    verdicts = {v.name: v for v in ratio_check.compare({"import": 0.1, "cpu": 2.5}, BASELINES)}
    assert verdicts["import"].worse_by == pytest.approx(4.0)
    assert verdicts["cpu"].worse_by == pytest.approx(0.5)
    assert verdicts["import"].line().startswith("FAIL import: 0.1 (baseline 0.4; 4.00× worse)")
    assert verdicts["cpu"].line() == "ok   cpu: 2.5 (baseline 5; 2.00× better)"


def test_the_factor_comes_from_the_file():
    strict = {**BASELINES, "factor": 1.5}
    assert {v.name for v in ratio_check.compare({"import": 0.25, "cpu": 5.0}, strict) if v.failed} == {
        "import"
    }


@pytest.mark.parametrize(
    ("measured", "baselines", "message"),
    [
        ({"import": 0.4}, BASELINES, "record the baselines again"),
        ({"import": 0.4, "cpu": 5.0, "new": 1.0}, BASELINES, "record the baselines again"),
        ({"import": 0.0, "cpu": 5.0}, BASELINES, "must be positive"),
        ({"import": 0.4, "cpu": 5.0}, {**BASELINES, "factor": 1.0}, "factor must be above 1"),
        (
            {"cpu": 5.0},
            {"ratios": {"cpu": {"value": 5.0, "better": "faster"}}},
            "'better' must be 'higher' or 'lower'",
        ),
    ],
)
def test_mismatched_or_bad_baselines_are_errors(measured, baselines, message):
    with pytest.raises(ValueError, match=message):
        ratio_check.compare(measured, baselines)


@pytest.mark.parametrize("db", ["sqlite", "postgresql"])
def test_the_recorded_baselines_name_what_the_check_measures(db):
    recorded = json.loads((ROOT / "benchmarks" / "ratios.json").read_text())
    assert float(recorded["factor"]) >= 3
    ratios = recorded["databases"][db]["ratios"]
    assert set(ratios) == set(ratio_check.MEASUREMENTS)
    # The recorded figures pass against themselves.
    measured = {name: float(entry["value"]) for name, entry in ratios.items()}
    baselines = {"factor": recorded["factor"], "ratios": ratios}
    assert not [v for v in ratio_check.compare(measured, baselines) if v.failed]
