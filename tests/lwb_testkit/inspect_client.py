"""Inspect a LoRA on a running ComfyUI and get its stats, waiting for the `lwb.inspect.stats` websocket event
when the answer says `stats_pending` (no polling): what the pack's editor does."""

from __future__ import annotations

import asyncio
import json

from aiohttp import ClientSession

STATS_EVENT = "lwb.inspect.stats"
EVENT_TIMEOUT_S = 900


async def inspect_with_stats_async(base_url: str, names: list[str], params: dict | None = None) -> dict[str, dict]:
    """name -> the final answer ({"arch", "stats" | "stats_error", "fingerprint"}) for each name, asked together."""
    async with ClientSession() as session, session.ws_connect(f"{base_url}/ws?clientId=lwb-inspect-client") as ws:
        async def ask(name: str) -> tuple[str, dict]:
            async with session.get(f"{base_url}/mad-nodes/inspect-lora",
                                   params={"lora_name": name, **(params or {})}) as resp:
                if resp.status != 200:
                    raise AssertionError(f"{name}: HTTP {resp.status}: {await resp.text()}")
                return name, await resp.json()

        answers = dict(await asyncio.gather(*(ask(n) for n in names)))
        waiting = {n: a["fingerprint"] for n, a in answers.items() if a.get("stats_pending")}
        while waiting:
            message = await ws.receive(timeout=EVENT_TIMEOUT_S)
            if message.type.name != "TEXT":
                continue
            data = json.loads(message.data)
            event = data.get("data") or {}
            if data.get("type") == STATS_EVENT and waiting.get(event.get("lora_name")) == event.get("fingerprint"):
                name = event.pop("lora_name")
                del waiting[name]
                result = {k: v for k, v in event.items() if k not in ("arch", "fingerprint")}
                answers[name] = {"arch": event["arch"], **result, "fingerprint": event["fingerprint"]}
    return answers


def inspect_with_stats(base_url: str, name: str, **params) -> dict:
    return asyncio.run(inspect_with_stats_async(base_url, [name], params))[name]
