"""The expected strength of a curve, written from seed 004's definition, independent of the pack's code.

Seed 004 ("Curve padding (backend)"): points sorted by x; when the first x is above 0, (0, 0) is put
in front, plus (first_x - 0.001, 0) when first_x > 0.001; when the last x is below 1, (last_x + 0.001, 0)
is appended when last_x < 0.999, then (1, 0). The strength at x is linear between neighbouring points,
so it is 0 outside the drawn range (after a 0.001 ramp). At a vertical jump (two points at one x) the
later point holds from that x on. Tests compare what ComfyUI applied with this, never with
`modules.schedule.curves`.
"""

RAMP = 0.001


def seed_padded(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    pts = sorted(((float(x), float(y)) for x, y in points), key=lambda p: p[0])
    if pts[0][0] > 0.0:
        pts = [(0.0, 0.0)] + ([(pts[0][0] - RAMP, 0.0)] if pts[0][0] > RAMP else []) + pts
    if pts[-1][0] < 1.0:
        pts = pts + ([(pts[-1][0] + RAMP, 0.0)] if pts[-1][0] < 1.0 - RAMP else []) + [(1.0, 0.0)]
    return pts


def expected_strength(points: list[tuple[float, float]], q: float) -> float:
    """The seed's curve at sigma percent q (0 <= q <= 1)."""
    pts = seed_padded(points)
    value = 0.0
    for (x0, y0), (x1, y1) in zip(pts, pts[1:], strict=False):
        if x0 <= q < x1:
            value = y0 + (y1 - y0) * (q - x0) / (x1 - x0)
    if q >= pts[-1][0]:
        value = pts[-1][1]
    return value


def change_over(points: list[tuple[float, float]], q_lo: float, q: float, q_hi: float) -> float:
    """The largest |f(t) - f(q)| for t in [q_lo, q_hi]: ends, and every breakpoint inside (both sides)."""
    pts = seed_padded(points)
    ts = [q_lo, q_hi] + [t for x, _ in pts if q_lo <= x <= q_hi for t in (x, x - 1e-12)]
    fq = expected_strength(points, q)
    return max(abs(expected_strength(points, t) - fq) for t in ts if 0.0 <= t <= 1.0)


def within_bound(points, percents: list[float], applied: list[float], tolerance: float = 0.005,
                 resolution: float = 0.001, slack: float = 1e-4) -> list[tuple]:
    """The evaluations whose applied strength misses the README's promise: |applied - f(q)| is at most
    max(tolerance, the curve's change between the neighbouring evaluations), an evaluation counted as at
    least `resolution` / 2 wide. `percents` are the evaluations' sigma percents in call order. Returns
    (index, q, applied, expected) for each miss; empty when all hold."""
    misses = []
    half = resolution / 2
    ordered = sorted(set(percents))
    for i, (q, got) in enumerate(zip(percents, applied, strict=True)):
        k = ordered.index(q)
        lo = min(ordered[k - 1] if k > 0 else 0.0, q - half)
        hi = max(ordered[k + 1] if k + 1 < len(ordered) else 1.0, q + half)
        want = expected_strength(points, q)
        bound = max(tolerance, change_over(points, max(lo, 0.0), q, min(hi, 1.0)))
        if abs(got - want) > bound + slack:
            misses.append((i, q, got, want))
    return misses
