"""Stored inspect answers checked in batches: one thread hop per event-loop round, not one per request.

Checking a stored answer is blocking I/O (`stat` calls), so it runs in a thread. Under 200 clients a
thread hop per request cost the loop more than the seed handler's whole cached answer (an executor
future, a queue put, a wake-up through the loop's self-pipe, the GIL handed back and forth around each
`stat`), and cached inspections were slower than the seed's. Here every request that arrives while no
check starts joins one list; one call in the memo's threads checks them all (each name once, each
folder once, see `AnswerMemo.check_many`) and one wake-up answers them all. Up to `max_checks` checks
run at once (the pool's threads), so a request does not wait for a running check's round trip.

Never staler than a check per request: a request is answered only by a check that *started after it
arrived*. Requests arriving while checks run (which may have stat'ed their file before they came)
join a new check, which starts at once if a thread is free, else when a running check ends.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import Executor

from .answer_memo import AnswerMemo, ResolveMany

log = logging.getLogger(__name__)


class MemoBatches:
    """`await get(name)`: `AnswerMemo.check_many` for every name asked in the same loop round, off the loop.

    Used from one event loop only; its state (the waiting list, whether a check runs) is only touched
    on that loop, and the waiting list holds one entry per request in flight."""

    def __init__(self, memo: AnswerMemo, resolve_many: ResolveMany, executor: Executor, max_checks: int = 1):
        self._memo = memo
        self._resolve_many = resolve_many
        self._executor = executor
        self._max_checks = max_checks
        self._waiting: list[tuple[str, asyncio.Future]] = []
        self._scheduled = False  # a check starts at the end of this loop round; new requests join it
        self._running = 0

    async def get(self, name: str) -> bytes | None:
        """The stored answer of `name` if its file is unchanged (checked after this call), else None."""
        loop = asyncio.get_running_loop()
        answer = loop.create_future()
        self._waiting.append((name, answer))
        self._schedule(loop)
        return await answer

    def _schedule(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._waiting and not self._scheduled and self._running < self._max_checks:
            self._scheduled = True
            loop.call_soon(self._start, loop)  # after the other requests of this round joined

    def _start(self, loop: asyncio.AbstractEventLoop) -> None:
        self._scheduled = False
        self._running += 1
        batch, self._waiting = self._waiting, []
        names = [name for name, _ in batch]
        try:
            check = loop.run_in_executor(self._executor, self._memo.check_many, names, self._resolve_many)
        except RuntimeError:  # the executor was shut down (server closing): every request takes the full path
            self._finish(batch, None, loop)
            return
        check.add_done_callback(lambda done: self._finish(batch, done, loop))

    def _finish(self, batch: list[tuple[str, asyncio.Future]], done: asyncio.Future | None,
                loop: asyncio.AbstractEventLoop) -> None:
        self._running -= 1
        answers: dict[str, bytes | None] = {}
        if done is not None and not done.cancelled():
            if done.exception() is None:
                answers = done.result()
            else:
                log.warning("stored inspect answers not checked", exc_info=done.exception())
        for name, answer in batch:
            if not answer.done():  # else the request was cancelled (client gone)
                answer.set_result(answers.get(name))
        self._schedule(loop)
