"""Curves: padding and evaluation vectors, the keyframe compiler, and the staircase ComfyUI will run."""

import bisect
import json
import math
import random
from pathlib import Path

import pytest
from lora_weights_builder.modules.schedule.curves import (
    DEFAULT_RESOLUTION,
    DEFAULT_TOLERANCE,
    Keyframe,
    compile_curve,
    evaluate,
    pad_points,
    simulate_keyframes,
    staircase,
)
from lwb_testkit.curve_oracle import expected_strength, seed_padded

VECTORS = json.loads((Path(__file__).parents[1] / "vectors" / "schedule_strings.json").read_text())


def pts(raw):
    return [tuple(p) for p in raw]


@pytest.mark.parametrize("case", VECTORS["curve_evaluate"])
def test_evaluate_vectors(case):
    assert evaluate(pts(case["points"]), case["x"]) == pytest.approx(case["y"], abs=1e-12)


@pytest.mark.parametrize("case", VECTORS["curve_pad"])
def test_pad_vectors(case):
    got = [c for p in pad_points(pts(case["points"])) for c in p]
    assert got == pytest.approx([c for p in case["padded"] for c in p], abs=1e-12)


@pytest.mark.parametrize("case", VECTORS["staircase"], ids=lambda c: c["name"])
def test_staircase_vectors(case):
    got = staircase(pts(case["points"]), case["steps"], case["percents"])
    assert got == pytest.approx(case["expected"], abs=case["abs_tol"] + 1e-12)


@pytest.mark.parametrize("case", VECTORS["compile"], ids=lambda c: c["name"])
def test_compile_vectors(case):
    got = compile_curve(pts(case["points"]))
    if case["keyframes"] is None:
        assert got is None
    else:
        assert [c for k in got for c in k] == pytest.approx([c for k in case["keyframes"] for c in k], abs=1e-9)


@pytest.mark.parametrize("case", VECTORS["compile_exact"], ids=lambda c: c["name"])
def test_compile_exact_vectors(case):
    """The vector the JavaScript twin must reproduce exactly is this compiler's current output."""
    assert [list(k) for k in compile_curve(pts(case["points"]))] == case["keyframes"]
    assert staircase(pts(case["points"]), len(case["percents"]), case["percents"]) == case["staircase"]


# ---- percent positions of real-looking schedules (no ComfyUI here: the formulas of its schedulers) ----

def karras_sigmas(n, lo, hi, rho=7.0):
    if n == 1:
        return [hi]
    a, b = hi ** (1 / rho), lo ** (1 / rho)
    return [(a + i / (n - 1) * (b - a)) ** rho for i in range(n)]


def edm_percent(sigma, lo=0.002, hi=80.0):
    """Inverse of ModelSamplingContinuousEDM.percent_to_sigma (log-linear in sigma)."""
    return 1.0 - (math.log(sigma) - math.log(lo)) / (math.log(hi) - math.log(lo))


def flow_percent(sigma, shift=3.0):
    """Inverse of ModelSamplingDiscreteFlow.percent_to_sigma: sigma = shift*t / (1 + (shift-1)*t), p = 1-t."""
    return 1.0 - sigma / (shift - (shift - 1.0) * sigma)


def schedules(n):
    yield "linear", [i / n for i in range(n)]
    yield "ddim-like offset", [(i + 0.96) / n for i in range(n)]
    yield "karras on EDM", [edm_percent(s, 0.002, 80) for s in karras_sigmas(n, 0.002, 80)]
    yield "karras on flow", [flow_percent(s) for s in karras_sigmas(n, 0.0292 / 14.6, 1.0)]
    yield "exponential on flow", [flow_percent(math.exp(math.log(1.0) + i / max(n - 1, 1) * math.log(0.002)))
                                  for i in range(n)]
    yield "start-heavy", [(i / n) ** 3 for i in range(n)]


CURVES = {
    "default ramp": [(0.0, 0.0), (1.0, 1.0)],
    "triangle": [(0.0, 0.0), (0.5, 1.0), (1.0, 0.0)],
    "window 0.3-0.7": [(0.3, 1.0), (0.7, 1.0)],
    "fade out from 0.1": [(0.1, 1.2), (0.9, 0.1)],
    "negative dip": [(0.0, 0.5), (0.4, -0.5), (1.0, 0.5)],
    "100-point sine": [(i / 99, 0.5 + 0.5 * math.sin(i / 99 * 2 * math.pi * 2)) for i in range(100)],
    "100-point noise": [(i / 99, random.Random(i).random()) for i in range(100)],
    "step up": [(0.0, 0.0), (0.5, 0.0), (0.5, 1.0), (1.0, 1.0)],
}


class Curve:
    """The seed's curve (the independent oracle, not the module under test) with its breakpoints."""

    def __init__(self, points):
        self.drawn = points
        self.xs = [x for x, _ in seed_padded(points)]

    def __call__(self, q):
        return expected_strength(self.drawn, q)

    def change(self, q_prev, q, q_next):
        """max |f(t) - f(q)| over [q_prev, q_next]; f is piecewise linear, so ends and breakpoints suffice."""
        inside = self.xs[bisect.bisect_left(self.xs, q_prev):bisect.bisect_right(self.xs, q_next)]
        ts = [q_prev, q_next, *inside, *(x - 1e-12 for x in inside)]
        fq = self(q)
        return max(abs(self(t) - fq) for t in ts)


@pytest.mark.parametrize("curve_name", list(CURVES))
def test_applied_strength_is_the_curve_at_every_step_of_every_schedule(curve_name):
    """For 1..150 steps and several schedules: |applied - f(q)| <= max(tolerance, change over one step),
    a step counted as at least resolution/2 wide (curves.py explains the bound)."""
    curve = Curve(CURVES[curve_name])
    keyframes = compile_curve(CURVES[curve_name])
    half = DEFAULT_RESOLUTION / 2
    for n in range(1, 151):
        for sched_name, qs in schedules(n):
            applied = simulate_keyframes(keyframes, qs)
            for i, (q, got) in enumerate(zip(qs, applied, strict=False)):
                q_prev = min(qs[i - 1] if i > 0 else 0.0, q - half)
                q_next = max(qs[i + 1] if i + 1 < n else 1.0, q + half)
                err = abs(got - curve(q))
                if err <= DEFAULT_TOLERANCE + 1e-9:
                    continue
                bound = curve.change(max(q_prev, 0.0), q, min(q_next, 1.0))
                assert err <= bound + 1e-9, (curve_name, sched_name, n, i, q, got, curve(q))


@pytest.mark.parametrize("curve_name", ["default ramp", "triangle", "100-point sine", "negative dip"])
def test_gentle_curves_are_within_tolerance_everywhere(curve_name):
    """No steep piece: the error is at most the tolerance at any percent, whatever the step spacing."""
    points = CURVES[curve_name]
    keyframes = compile_curve(points)
    qs = [i / 20000 for i in range(20000)]
    applied = simulate_keyframes(keyframes, qs)
    worst = max(abs(a - expected_strength(points, q)) for q, a in zip(qs, applied, strict=False))
    assert worst <= DEFAULT_TOLERANCE + 1e-12


@pytest.mark.parametrize("curve_name", list(CURVES))
def test_keyframes_have_comfyui_shape(curve_name):
    keyframes = compile_curve(CURVES[curve_name])
    assert keyframes[0].start_percent == 0.0 and keyframes[0].guarantee_steps == 1
    assert all(k.guarantee_steps == 0 for k in keyframes[1:])
    starts = [k.start_percent for k in keyframes]
    assert starts == sorted(starts) and len(set(starts)) == len(starts) and starts[-1] < 1.0
    assert all(a.strength != b.strength for a, b in zip(keyframes, keyframes[1:], strict=False))  # neighbours merged


def test_keyframe_counts_stay_small():
    """ComfyUI converts every keyframe each run: a ramp takes ~|change| / (2 tolerance) keyframes."""
    assert len(compile_curve(CURVES["default ramp"])) == 101
    assert len(compile_curve(CURVES["window 0.3-0.7"])) == 3
    assert len(compile_curve(CURVES["100-point noise"])) <= 100 * math.ceil((1 / 99) / DEFAULT_RESOLUTION) + 1


def test_seed_keyframes_fail_where_compiled_ones_hold():
    """Appendix A: the seed's keyframes (one per point, guarantee_steps=1) leave a 100-point ramp at 0.19
    after 20 steps; compiled keyframes reach 0.95."""
    ramp = [(i / 99, i / 99) for i in range(100)]
    seed = [Keyframe(x, y, 1) for x, y in ramp]
    qs = [i / 20 for i in range(20)]
    assert simulate_keyframes(seed, qs)[-1] == pytest.approx(19 / 99)
    assert staircase(ramp, 20)[-1] == pytest.approx(0.95, abs=DEFAULT_TOLERANCE)


def test_simulation_holds_a_guaranteed_keyframe_and_ignores_repeated_sigmas():
    kfs = [Keyframe(0.0, 0.0, 1), Keyframe(0.1, 0.5, 2), Keyframe(0.2, 1.0, 0)]
    # 0.1 is held for two distinct timesteps even though 0.2 qualifies at the second one.
    assert simulate_keyframes(kfs, [0.0, 0.15, 0.25, 0.25, 0.3]) == [0.0, 0.5, 0.5, 0.5, 1.0]
    assert simulate_keyframes(None, [0.0, 0.5]) == [0.0, 0.0]


def test_bad_curves_are_refused_with_the_point_named():
    with pytest.raises(ValueError, match="point 2"):
        compile_curve([(0.0, 1.0), (1.5, 1.0)])
    with pytest.raises(ValueError, match="not finite"):
        compile_curve([(0.0, float("nan"))])
    with pytest.raises(ValueError, match="at least one point"):
        compile_curve([])
