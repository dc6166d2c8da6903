"""The text encoder's keyframes: within 0.025 of the drawn curve everywhere, few of them, plateaus exact.

The curve is evaluated here independently (linear between the drawn points, 0 outside, seed 004's
0.001 padding ramps), and ComfyUI's rule for which keyframe holds at a percent (the last one whose
start_percent is <= it) is applied to the keyframes.
"""

import math
import random

import pytest
from lora_weights_builder.modules.schedule.clip_curve import compile_clip_curve


def drawn(points, q):
    pts = sorted(points)
    if q < pts[0][0] - 0.001 or q > pts[-1][0] + 0.001:
        return 0.0
    if q < pts[0][0]:
        return pts[0][1] * (q - pts[0][0] + 0.001) / 0.001 if pts[0][0] > 0 else pts[0][1]
    if q > pts[-1][0]:
        return pts[-1][1] * (pts[-1][0] + 0.001 - q) / 0.001 if pts[-1][0] < 1 else pts[-1][1]
    for (x0, y0), (x1, y1) in zip(pts, pts[1:], strict=False):
        if x0 <= q <= x1 and x1 > x0:
            return y0 + (y1 - y0) * (q - x0) / (x1 - x0)
    return pts[-1][1]


def held(keyframes, q):
    return [k.strength for k in keyframes if k.start_percent <= q][-1]


def near_steep(points, q):
    """Within 0.001 of a padding ramp, where the rule compares against f a resolution away."""
    xs = [min(p[0] for p in points), max(p[0] for p in points)]
    return any(abs(q - x) < 0.0011 for x in xs)


RANDOM = [[(round(x, 3), round(random.Random(s).uniform(-1, 2), 3)) for x in sorted(random.Random(s + 99).sample(
    [i / 1000 for i in range(1001)], 12))] for s in range(20)]
CURVES = [[(i / 99, i / 99) for i in range(100)],
          [(i / 99, 0.5 + 0.5 * math.sin(6 * i / 99)) for i in range(100)],
          [(0.0, 0.0), (0.5, 0.0), (0.51, 1.0), (1.0, 1.0)],
          [(0.2, 0.3), (0.6, -0.7), (0.9, 1.4)], *RANDOM]


@pytest.mark.parametrize("points", CURVES)
def test_strength_within_0_025_of_the_curve_and_one_encode_per_0_05_of_change(points):
    keyframes = compile_clip_curve(points)
    for j in range(4000):
        q = j / 4000
        if not near_steep(points, q):
            assert abs(held(keyframes, q) - drawn(points, q)) <= 0.025 + 1e-9, q
    ys = [y for _, y in sorted(points)]
    change = sum(abs(b - a) for a, b in zip(ys, ys[1:], strict=False)) + abs(ys[0]) + abs(ys[-1])
    stretches = 1 + sum((b - a) * (c - b) < 0 for a, b, c in zip(ys, ys[1:], ys[2:], strict=False))
    assert len(keyframes) <= math.ceil(change / 0.05) + stretches + 2
    assert keyframes[0].start_percent == 0.0 and all(k.start_percent < 1.0 for k in keyframes)


def test_flat_curve_is_one_encode_and_plateaus_are_exact():
    assert [(k.start_percent, k.strength) for k in compile_clip_curve([(0.0, 0.7), (1.0, 0.7)])] == [(0.0, 0.7)]
    keyframes = compile_clip_curve([(0.0, 0.0), (0.5, 0.0), (0.51, 1.0), (1.0, 1.0)])
    assert held(keyframes, 0.2) == 0.0 and held(keyframes, 0.8) == 1.0
    assert compile_clip_curve([(0.0, 0.0), (1.0, 0.0)]) is None
