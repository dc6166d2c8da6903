"""Collect `notify(event, data)` calls (ComfyUI's `send_sync` in a route group's `ModelFolders`) from any thread.

    events = EventLog()
    folders = dataclasses.replace(lib.folders, notify=events)
    event, data = await events.next(lambda e, d: e == "lwb.inspect.stats" and d["lora_name"] == name)

Tests wait for an event instead of sleeping; a timeout is a failure naming what was awaited.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

Predicate = Callable[[str, dict], bool]


class EventLog:
    def __init__(self):
        self._cond = threading.Condition()
        self.events: list[tuple[str, dict]] = []

    def __call__(self, event: str, data: dict) -> None:
        with self._cond:
            self.events.append((event, data))
            self._cond.notify_all()

    def matching(self, predicate: Predicate) -> list[tuple[str, dict]]:
        with self._cond:
            return [(e, d) for e, d in self.events if predicate(e, d)]

    def wait_for(self, predicate: Predicate, timeout: float = 300, count: int = 1) -> tuple[str, dict]:
        """The `count`-th event matching `predicate`, waiting for it (TimeoutError after `timeout` s)."""
        with self._cond:
            if not self._cond.wait_for(lambda: len([1 for e, d in self.events if predicate(e, d)]) >= count, timeout):
                raise TimeoutError(f"no event matching {predicate} within {timeout}s; got {self.events[-5:]}")
            return [(e, d) for e, d in self.events if predicate(e, d)][count - 1]

    async def next(self, predicate: Predicate, timeout: float = 300, count: int = 1) -> tuple[str, dict]:
        return await asyncio.to_thread(self.wait_for, predicate, timeout, count)
