"""JSON responses that are always valid JSON: NaN and infinities become null before encoding.

`json.dumps` writes `NaN` / `Infinity` by default, which `JSON.parse` in the browser rejects; a
single non-finite stat would otherwise break the whole response.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping

from aiohttp import web


def finite(value):
    """A copy of `value` with every non-finite float replaced by None (tuples become lists, keys strings)."""
    if isinstance(value, bool) or value is None or isinstance(value, int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    if hasattr(value, "item"):  # numpy / torch scalars
        return finite(value.item())
    raise TypeError(f"cannot encode a {type(value).__name__} as JSON")


def dumps(value) -> str:
    return json.dumps(finite(value), allow_nan=False)


def json_response(value, status: int = 200, headers: dict | None = None) -> web.Response:
    return web.Response(text=dumps(value), status=status, content_type="application/json", headers=headers)
