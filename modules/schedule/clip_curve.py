"""The text encoder's keyframes for a strength curve: as few encodes as a strength error bound allows.

With Set CLIP Hooks and `schedule_clip`, ComfyUI encodes the prompt once per range of constant strength
(`HookGroup.get_hooks_for_clip_schedule`) and keeps one conditioning per range, used for the sampling
steps whose percent falls in that range. The diffusion model's exact compilation (`curves.py`, one
keyframe per 0.01 of change) would mean ~100 encodes for a 0 -> 1 ramp.

Rule: the padded curve f (as `curves.pad_points`) is split into monotone stretches (between the drawn
points where it turns, stops or jumps). A stretch from y_a to y_b gets the levels y_a + k·δ,
δ = (y_b − y_a) / n, n = ceil(|y_b − y_a| / (2·tolerance)), and each level holds while f is nearer to it
than to its neighbours (as `curves.py` does per drawn segment, here per stretch however many points
it has). So the text encoder's strength is within `tolerance` (0.025) of f at every percent, the drawn
values where a stretch starts or ends (plateaus, peaks) are exact, and a stretch costs at most
|y_b − y_a| / 0.05 + 1 encodes: a 100-point 0 -> 1 ramp 21, a flat curve 1.
A piece of the curve narrower than `resolution` (0.001, as the padding ramps) is taken as a jump at its
middle, so no encode is spent on a range no sampling step can fall in; within resolution / 2 of such a
piece the bound holds against f at a point at most resolution / 2 away.
"""

from __future__ import annotations

import math

from .curves import DEFAULT_RESOLUTION, MERGE_EPS, Keyframe, Point, pad_points

CLIP_TOLERANCE = 0.025


def _steep_as_jumps(pts: list[Point], resolution: float) -> list[Point]:
    out = [pts[0]]
    for (x0, y0), (x1, y1) in zip(pts, pts[1:], strict=False):
        if 0.0 < x1 - x0 <= resolution * (1 + 1e-9) and y1 != y0:
            mid = (x0 + x1) / 2.0
            out += [(mid, y0), (mid, y1)]
        out.append((x1, y1))
    return out


def _stretches(pts: list[Point]) -> list[list[Point]]:
    """Maximal runs of consecutive points along which f only rises, only falls, or stays flat; a jump
    (two points at one x) is a run of its own."""
    runs: list[list[Point]] = []
    run, direction = [pts[0]], None
    for prev, cur in zip(pts, pts[1:], strict=False):
        step = "jump" if cur[0] <= prev[0] else (cur[1] > prev[1]) - (cur[1] < prev[1])
        if direction is None or (step == direction and step != "jump"):
            run.append(cur)
        else:
            runs.append(run)
            run = [prev, cur]
        direction = step
    runs.append(run)
    return runs


def _crossing(run: list[Point], value: float) -> float:
    """The x where the monotone run first reaches `value` (strictly between its end values)."""
    for (x0, y0), (x1, y1) in zip(run, run[1:], strict=False):
        if min(y0, y1) <= value <= max(y0, y1) and y1 != y0:
            return x0 + (x1 - x0) * (value - y0) / (y1 - y0)
    return run[-1][0]


def _ranges(pts: list[Point], tolerance: float) -> list[Point]:
    """(start, strength) pieces of the padded curve `pts`, before merging."""
    out: list[Point] = [(pts[0][0], pts[0][1])]
    for run in _stretches(pts):
        (xa, ya), (xb, yb) = run[0], run[-1]
        if xb <= xa or ya == yb:  # a jump, or flat: the end value from the start on
            out.append((xa, yb) if xb <= xa else (xa, ya))
            continue
        n = math.ceil(abs(yb - ya) / (2.0 * tolerance) - 1e-9)
        delta = (yb - ya) / n
        for k in range(1, n + 1):
            out.append((_crossing(run, ya + (k - 0.5) * delta), yb if k == n else ya + k * delta))
    return out


def compile_clip_curve(points: list[Point], tolerance: float = CLIP_TOLERANCE,
                       resolution: float = DEFAULT_RESOLUTION) -> list[Keyframe] | None:
    """Keyframes for the text encoder (see the module docstring), or None when the curve is 0 everywhere.

    Keyframe conventions as `curves.compile_curve`: the first at 0.0 with guarantee_steps=1, the rest 0,
    none at 1.0 (ComfyUI never enters it)."""
    if not (tolerance > 0.0 and resolution > 0.0):
        raise ValueError(f"tolerance and resolution must be > 0, got {tolerance!r} and {resolution!r}")
    pts = pad_points(points)
    if not pts:
        raise ValueError("a curve needs at least one point")
    pts = _steep_as_jumps(pts, resolution)
    merged: list[Point] = []
    for start, value in _ranges(pts, tolerance):
        if start >= 1.0 and merged:
            break
        if merged and start <= merged[-1][0]:  # same start: the later value wins
            merged[-1] = (merged[-1][0], value)
            if len(merged) > 1 and abs(value - merged[-2][1]) <= MERGE_EPS:
                merged.pop()
            continue
        if merged and abs(value - merged[-1][1]) <= MERGE_EPS:
            continue
        merged.append((start, value))
    if all(abs(value) <= MERGE_EPS for _, value in merged):
        return None
    return [Keyframe(start, value, 1 if i == 0 else 0) for i, (start, value) in enumerate(merged)]
