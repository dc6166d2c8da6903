"""Composition history: every combine a user ran (combiner node) or kept (editor preview), in the library DB.

A record holds the time, where it came from (`node` | `editor`), the combine request (`inputs`:
`{loras, policy, headroom}`, the body `POST /mad-nodes/combine` takes) and its answer (`result`,
`combiner/response.py`). Retention is bounded: recording keeps the newest `MAX_COMPOSITIONS`
records and deletes older ones in the same transaction. Nothing is written beside the models: the
database is the library's, in ComfyUI's user directory. Restoring gives the inputs back as the
combiner node's `combiner_config` (a JSON list of items) with its policy and headroom.
"""

from __future__ import annotations

import json
import sqlite3
import time

MAX_COMPOSITIONS = 500
DEFAULT_LIMIT = 50
MAX_LIMIT = 500
SOURCES = ("node", "editor")


def record(conn: sqlite3.Connection, source: str, inputs: dict, result: dict, *, now: float | None = None,
           keep: int = MAX_COMPOSITIONS) -> int:
    """Store one composition and drop the oldest beyond `keep`; returns the new record's id."""
    if source not in SOURCES:
        raise ValueError(f"composition source must be one of {', '.join(SOURCES)}, got {source!r}")
    created = time.time() if now is None else now
    conn.execute("BEGIN IMMEDIATE")
    try:
        cur = conn.execute(
            "INSERT INTO compositions (created_at, source, policy, headroom, inputs, result) VALUES (?, ?, ?, ?, ?, ?)",
            (created, source, str(inputs.get("policy", "")), float(inputs.get("headroom", 0.0)),
             json.dumps(inputs, allow_nan=False), json.dumps(result, allow_nan=False)))
        new_id = int(cur.lastrowid)
        conn.execute("DELETE FROM compositions WHERE id NOT IN (SELECT id FROM compositions ORDER BY id DESC LIMIT ?)",
                     (keep,))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return new_id


def _summary(row: sqlite3.Row) -> dict:
    result = json.loads(row["result"])
    return {"id": row["id"], "created_at": row["created_at"], "source": row["source"], "policy": row["policy"],
            "headroom": row["headroom"], "inputs": json.loads(row["inputs"]),
            "result": {"family": result.get("family"), "verdicts": result.get("verdicts", []),
                       "loras": [{k: lora.get(k) for k in ("lora_name", "included", "excluded_reason",
                                                           "strength_model", "strength_clip")}
                                 for lora in result.get("loras", [])]}}


def recent(conn: sqlite3.Connection, limit: int = DEFAULT_LIMIT) -> list[dict]:
    """The newest `limit` records, newest first, each with its inputs and a summary of its result."""
    rows = conn.execute("SELECT * FROM compositions ORDER BY id DESC LIMIT ?", (limit,))
    return [_summary(r) for r in rows]


def get(conn: sqlite3.Connection, composition_id: int) -> dict | None:
    """One record in full (its whole combine answer), or None."""
    row = conn.execute("SELECT * FROM compositions WHERE id = ?", (composition_id,)).fetchone()
    if row is None:
        return None
    return {"id": row["id"], "created_at": row["created_at"], "source": row["source"], "policy": row["policy"],
            "headroom": row["headroom"], "inputs": json.loads(row["inputs"]), "result": json.loads(row["result"])}


def restore(entry: dict) -> dict:
    """What restores a record into a combiner node: `{combiner_config, policy, headroom}`."""
    inputs = entry["inputs"]
    return {"combiner_config": json.dumps(inputs.get("loras", [])), "policy": inputs.get("policy"),
            "headroom": inputs.get("headroom")}
