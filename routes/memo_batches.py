"""Stored inspect answers checked in batches: one thread hop per event-loop round, not one per request.

Checking a stored answer is blocking I/O (`stat` calls), so it runs in a thread. Under 200 clients a
thread hop per request cost the loop more than the seed handler's whole cached answer (an executor
future, a queue put, a wake-up through the loop's self-pipe, the GIL handed back and forth around each
`stat`), and cached inspections were slower than the seed's. Here every request that arrives while no
check is running joins one list; one call in the memo's thread checks them all (each name once, each
folder once, see `AnswerMemo.check_many`) and one wake-up answers them all.

Never staler than a check per request: a request is answered only by a check that *started after it
arrived*. Requests arriving while a check runs (which may have stat'ed their file before they came)
wait for the next check, which starts as soon as the running one ends.
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

    def __init__(self, memo: AnswerMemo, resolve_many: ResolveMany, executor: Executor):
        self._memo = memo
        self._resolve_many = resolve_many
        self._executor = executor
        self._waiting: list[tuple[str, asyncio.Future]] = []
        self._busy = False  # a check is scheduled or running; new requests wait for the next one

    async def get(self, name: str) -> bytes | None:
        """The stored answer of `name` if its file is unchanged (checked after this call), else None."""
        loop = asyncio.get_running_loop()
        answer = loop.create_future()
        self._waiting.append((name, answer))
        if not self._busy:
            self._busy = True
            loop.call_soon(self._start, loop)  # after the other requests of this round joined
        return await answer

    def _start(self, loop: asyncio.AbstractEventLoop) -> None:
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
        answers: dict[str, bytes | None] = {}
        if done is not None and not done.cancelled():
            if done.exception() is None:
                answers = done.result()
            else:
                log.warning("stored inspect answers not checked", exc_info=done.exception())
        for name, answer in batch:
            if not answer.done():  # else the request was cancelled (client gone)
                answer.set_result(answers.get(name))
        if self._waiting:
            loop.call_soon(self._start, loop)
        else:
            self._busy = False
