"""The editor's exact staircase: `POST /mad-nodes/staircase` and `GET /mad-nodes/staircase/options`.

The body names a model family, a sampler, a scheduler, a step count (and optionally `denoise` and
`curves`, lists of `{x, y}` points); the answer lists every model evaluation of that sampling run
(`sigma`, its sigma `percent`, the `step` it belongs to; samplers such as heun evaluate twice per step)
and, per curve, the strength ComfyUI's hook keyframes give each evaluation. The engine that runs
ComfyUI's sampler (`nodes/sampler_evaluations.py`) is injected, so this handler stays plain aiohttp.

| case | status | body |
| --- | --- | --- |
| computed | 200 | `{family, sampler, scheduler, steps, denoise, sigmas, evaluations, strengths}` |
| not JSON, unknown family/sampler/scheduler, bad steps/denoise/curves | 400 | `{"error", "field"}` |

The sampler runs in a worker thread, never on the event loop.
"""

from __future__ import annotations

import asyncio
import json
import math
from typing import Protocol

from aiohttp import web

from .json_body import json_response

MAX_BODY_BYTES = 1_000_000
MAX_CURVES = 32
MAX_POINTS = 1000


class StaircaseEngine(Protocol):
    def options(self) -> dict: ...

    def staircase(self, family: str, sampler: str, scheduler: str, steps: int, curves: list,
                  denoise: float = 1.0) -> dict: ...


class BadStaircaseRequest(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field


def _number(value, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise BadStaircaseRequest(field, f"expected a finite number, got {value!r}")
    return float(value)


def parse_request(body, options: dict) -> dict:
    """The checked arguments of `engine.staircase`, or `BadStaircaseRequest` naming the field."""
    if not isinstance(body, dict):
        raise BadStaircaseRequest("body", "expected a JSON object")
    unknown = set(body) - {"family", "sampler", "scheduler", "steps", "denoise", "curves"}
    if unknown:
        raise BadStaircaseRequest(sorted(unknown)[0], "unknown field")
    args = {}
    for field, choices in (("family", "families"), ("sampler", "samplers"), ("scheduler", "schedulers")):
        value = body.get(field)
        if value not in options[choices]:
            raise BadStaircaseRequest(field, f"{value!r} is not one of {', '.join(options[choices])}")
        args[field] = value
    steps = body.get("steps")
    if isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= options["max_steps"]:
        raise BadStaircaseRequest("steps", f"expected a whole number from 1 to {options['max_steps']}, got {steps!r}")
    args["steps"] = steps
    denoise = _number(body.get("denoise", 1.0), "denoise")
    if not 0.0 < denoise <= 1.0:
        raise BadStaircaseRequest("denoise", f"expected a number in (0, 1], got {denoise!r}")
    args["denoise"] = denoise
    curves = body.get("curves", [])
    if not isinstance(curves, list) or len(curves) > MAX_CURVES:
        raise BadStaircaseRequest("curves", f"expected a list of at most {MAX_CURVES} curves")
    args["curves"] = [_curve(points, f"curves[{i}]") for i, points in enumerate(curves)]
    return args


def _curve(points, field: str) -> list[tuple[float, float]]:
    if not isinstance(points, list) or not 1 <= len(points) <= MAX_POINTS:
        raise BadStaircaseRequest(field, f"expected a list of 1 to {MAX_POINTS} points")
    out = []
    for j, p in enumerate(points):
        if not isinstance(p, dict):
            raise BadStaircaseRequest(f"{field}[{j}]", "expected {x, y}")
        x, y = _number(p.get("x"), f"{field}[{j}].x"), _number(p.get("y"), f"{field}[{j}].y")
        if not 0.0 <= x <= 1.0:
            raise BadStaircaseRequest(f"{field}[{j}].x", f"{x!r} is outside [0, 1]")
        out.append((x, y))
    return out


class StaircaseRoutes:
    def __init__(self, engine: StaircaseEngine):
        self._engine = engine

    def add_routes(self, routes: web.RouteTableDef) -> None:
        routes.get("/mad-nodes/staircase/options")(self.options)
        routes.post("/mad-nodes/staircase")(self.staircase)

    async def options(self, request: web.Request) -> web.Response:
        return json_response(self._engine.options())

    async def staircase(self, request: web.Request) -> web.Response:
        try:
            if request.content_length and request.content_length > MAX_BODY_BYTES:
                raise BadStaircaseRequest("body", f"larger than {MAX_BODY_BYTES} bytes")
            try:
                body = json.loads(await request.text())
            except ValueError as err:
                raise BadStaircaseRequest("body", f"not JSON: {err}") from None
            args = parse_request(body, self._engine.options())
        except BadStaircaseRequest as err:
            return json_response({"error": str(err), "field": err.field}, status=400)
        answer = await asyncio.to_thread(self._engine.staircase, **args)
        return json_response(answer)
