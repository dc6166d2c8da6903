"""Strength curves: the seed's padding, evaluation, and compilation to ComfyUI hook keyframes.

How ComfyUI applies keyframes (`comfy/hooks.py`, `HookKeyframeGroup.prepare_current_keyframe`): each
keyframe's `start_percent` becomes a sigma with `model_sampling.percent_to_sigma`, and at each model
call the group moves forward to the last keyframe whose sigma is >= the current sigma. That is a step
function of the step's *sigma percent* q (the percent with `percent_to_sigma(q) == sigma`): a step
gets the last keyframe with `start_percent <= q`. It only moves forward, and a keyframe with
`guarantee_steps = g > 0` is held for g steps first, so every keyframe after the first gets 0.

The compiler turns the padded curve f (linear between points, 0 outside the drawn range) into a
step function of q. Each linear segment from (x0, y0) to (x1, y1) is cut into n pieces that round f
to the nearest of the levels y0 + k (y1 - y0) / n, k = 0..n, with n the smaller of
ceil(|y1 - y0| / (2 tolerance)) and ceil((x1 - x0) / resolution). So at every q the applied strength
is f(c) for a c in the same segment with either |f(c) - f(q)| <= tolerance, or |c - q| <= resolution / 2
(steep short pieces, e.g. the padding ramps). Hence, for a step at q whose neighbours are q_prev and
q_next: |applied - f(q)| <= max(tolerance, change of f over [q_prev, q_next]), where a step is counted
as at least resolution / 2 wide. Drawn points' values are reached exactly, and equal neighbours merge
across segments (a flat curve is one keyframe). ComfyUI never enters a keyframe at percent 1.0 (its
sigma is 0), and none is emitted.

Cost: about |total change| / (2 tolerance) keyframes (100 for a 0 -> 1 ramp), at most one per
`resolution` of sloped x. ComfyUI converts every keyframe with `percent_to_sigma` once per run, and
Set CLIP Hooks with `schedule_clip` encodes the prompt once per range of constant strength, keeping
one conditioning per range in memory: the text encoder gets its own, coarser keyframes from
`clip_curve.py` (at most one encode per 0.05 of strength change, strength within 0.025 of the
curve). The diffusion model keeps this exact compilation.
"""

from __future__ import annotations

import math
from typing import NamedTuple

# Padding ramp of the seed: the curve falls to 0 within 0.001 outside its drawn range.
PAD_RAMP = 0.001
# Default largest difference between the applied strength and the curve, in curve units.
DEFAULT_TOLERANCE = 0.005
# Default narrowest piece, in sigma percent. Real schedules at up to 150 steps have steps from 4e-5
# (flow, exponential) to 0.33 apart; steps closer than resolution / 2 fall back on `tolerance`.
DEFAULT_RESOLUTION = 0.001
# Strengths closer than this are the same keyframe.
MERGE_EPS = 1e-12


class Keyframe(NamedTuple):
    start_percent: float
    strength: float
    guarantee_steps: int


Point = tuple[float, float]


def _check_points(points: list[Point]) -> list[Point]:
    checked = []
    for i, (x, y) in enumerate(points):
        if not (math.isfinite(x) and math.isfinite(y)):
            raise ValueError(f"curve point {i + 1} ({x!r}, {y!r}) is not finite")
        if not 0.0 <= x <= 1.0:
            raise ValueError(f"curve point {i + 1}: x={x!r} is outside [0, 1]")
        checked.append((float(x), float(y)))
    return sorted(checked, key=lambda p: p[0])


def pad_points(points: list[Point]) -> list[Point]:
    """Seed 004's padding: sorted, then 0 at x=0 and x=1 with a 0.001 ramp to the first/last point."""
    pts = _check_points(points)
    if not pts:
        return []
    first_x, last_x = pts[0][0], pts[-1][0]
    head: list[Point] = []
    tail: list[Point] = []
    if first_x > 0.0:
        head.append((0.0, 0.0))
        if first_x > PAD_RAMP:
            head.append((first_x - PAD_RAMP, 0.0))
    if last_x < 1.0:
        if last_x < 1.0 - PAD_RAMP:
            tail.append((last_x + PAD_RAMP, 0.0))
        tail.append((1.0, 0.0))
    return head + pts + tail


def evaluate(points: list[Point], x: float) -> float:
    """The curve at x: linear between points (sorted by x), 0 outside [first_x, last_x].

    At a vertical jump (two points with the same x) the later point's value holds from that x on.
    """
    pts = sorted(points, key=lambda p: p[0])
    if not pts or x < pts[0][0] or x > pts[-1][0]:
        return 0.0
    lo, hi = 0, len(pts) - 1  # largest i with pts[i].x <= x
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if pts[mid][0] <= x:
            lo = mid
        else:
            hi = mid - 1
    if lo == len(pts) - 1:
        return pts[lo][1]
    (x0, y0), (x1, y1) = pts[lo], pts[lo + 1]
    return y0 + (y1 - y0) * ((x - x0) / (x1 - x0))


def _pieces(pts: list[Point], tolerance: float, resolution: float) -> list[Point]:
    """(start, value) pieces of the padded curve, before merging."""
    pieces: list[Point] = []

    def put(start: float, value: float) -> None:
        if pieces and start <= pieces[-1][0]:
            pieces[-1] = (pieces[-1][0], value)  # same start (a jump): the later value wins
        else:
            pieces.append((start, value))

    for (x0, y0), (x1, y1) in zip(pts, pts[1:], strict=False):
        width = x1 - x0
        if width <= 0.0:
            continue
        put(x0, y0)
        if y1 == y0:
            continue
        # The 1e-9 keeps float noise (0.3 - 0.299 > 0.001) from adding a piece.
        n = min(math.ceil(abs(y1 - y0) / (2.0 * tolerance) - 1e-9), max(1, math.ceil(width / resolution - 1e-9)))
        for k in range(1, n + 1):
            start = x0 + width * ((2 * k - 1) / (2 * n))
            put(start, y1 if k == n else y0 + (y1 - y0) * (k / n))
    return pieces


def compile_curve(points: list[Point], tolerance: float = DEFAULT_TOLERANCE,
                  resolution: float = DEFAULT_RESOLUTION) -> list[Keyframe] | None:
    """Keyframes for ComfyUI that make the curve run as drawn, or None when it is 0 everywhere.

    None means "skip this LoRA" (a hook without keyframes would run at full strength). The first
    keyframe is at 0.0 with guarantee_steps=1 (ComfyUI's default); the rest have guarantee_steps=0 so
    that several keyframes can be entered within one step. Equal neighbours are merged: a flat curve
    is one keyframe.
    """
    if not (tolerance > 0.0 and resolution > 0.0):
        raise ValueError(f"tolerance and resolution must be > 0, got {tolerance!r} and {resolution!r}")
    pts = pad_points(points)
    if not pts:
        raise ValueError("a curve needs at least one point")
    merged: list[Point] = []
    for start, value in _pieces(pts, tolerance, resolution):
        if merged and abs(value - merged[-1][1]) <= MERGE_EPS:
            continue
        merged.append((start, value))
    if all(value == 0.0 for _, value in merged):
        return None
    return [Keyframe(start, value, 1 if i == 0 else 0) for i, (start, value) in enumerate(merged)]


def simulate_keyframes(keyframes: list[Keyframe] | None, sigmas_percent: list[float]) -> list[float]:
    """The strength ComfyUI applies at each step, given each step's sigma percent (in step order).

    A re-statement of `HookKeyframeGroup.prepare_current_keyframe` in percent space: `start_t >= sigma`
    is `start_percent <= q`, and `start_t > max_sigma` (guarantee ignored) is `start_percent < min q`.
    A repeated q is the same timestep and changes nothing. None (a skipped curve) gives zeros.
    """
    if keyframes is None:
        return [0.0] * len(sigmas_percent)
    if not keyframes:
        return [1.0] * len(sigmas_percent)  # a hook without keyframes runs at full strength
    kfs = sorted(keyframes, key=lambda k: k.start_percent)
    min_q = min(sigmas_percent) if sigmas_percent else 0.0

    def guarantee(kf: Keyframe) -> int:
        return 0 if kf.start_percent < min_q else kf.guarantee_steps

    index, used, last_q = 0, 0, None
    out = []
    for q in sigmas_percent:
        if q != last_q:
            if used >= guarantee(kfs[index]):
                for j in range(index + 1, len(kfs)):
                    if kfs[j].start_percent <= q:
                        index, used = j, 0
                        if guarantee(kfs[j]) > 0:
                            break
                    else:
                        break
            used += 1
            last_q = q
        out.append(kfs[index].strength)
    return out


def linear_percents(steps: int) -> list[float]:
    """Sigma percents of `steps` evenly spaced steps (what a flow model's simple scheduler gives)."""
    return [i / steps for i in range(steps)]


def staircase(points: list[Point], steps: int, sigmas_percent: list[float] | None = None,
              tolerance: float = DEFAULT_TOLERANCE, resolution: float = DEFAULT_RESOLUTION) -> list[float]:
    """Strength per step that ComfyUI will apply for this curve (the editor's staircase preview).

    `sigmas_percent` are the steps' sigma percents; when omitted, evenly spaced ones.
    """
    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps}")
    percents = linear_percents(steps) if sigmas_percent is None else list(sigmas_percent)
    if len(percents) != steps:
        raise ValueError(f"{len(percents)} sigma percents for {steps} steps")
    return simulate_keyframes(compile_curve(points, tolerance, resolution), percents)
