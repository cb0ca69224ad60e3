"""Who wakes which open stream: one LISTEN connection and one poll for the whole process.

An open stream holds no thread and no database connection between wake-ups: it waits on an
``asyncio.Event``. A NOTIFY for its user (sent by :func:`models.events.record` at commit)
sets it; so does the tick, every EVENTS_POLL_SECONDS while streams are open, which asks once
for every user with new visible events. The tick is what makes a lost notification (listener
down, or an event still behind the visibility horizon when its NOTIFY came) cost latency,
never an event.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict

import psycopg2

from models import events
from models.db import connect_arguments, release
from models.events import Position

logger = logging.getLogger(__name__)

#: application_name of the listening connection, so operators (and tests) can find it.
LISTENER_NAME = "product-catalog-stream-listener"
_BACKOFF_MAX = 10.0


def _in_pool(function, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
    """Run a model function on a pooled connection given back as soon as it returns."""
    try:
        return function(*args, **kwargs)
    finally:
        release()


async def pooled(function, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN201
    return await asyncio.to_thread(_in_pool, function, *args, **kwargs)


class Hub:
    def __init__(self, *, database_url: str, poll_seconds: float) -> None:
        self._database_url = database_url
        self._poll_seconds = poll_seconds
        self._waiters: dict[int, set[asyncio.Event]] = defaultdict(set)
        self._position: Position | None = None
        self._tasks: list[asyncio.Task] = []

    async def start(self) -> None:
        _, self._position = await pooled(events.users_after, None)
        self._tasks = [asyncio.create_task(self._listen()), asyncio.create_task(self._tick())]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()

    def subscribe(self, user_id: int) -> asyncio.Event:
        wake = asyncio.Event()
        self._waiters[user_id].add(wake)
        return wake

    def unsubscribe(self, user_id: int, wake: asyncio.Event) -> None:
        waiters = self._waiters.get(user_id)
        if waiters is not None:
            waiters.discard(wake)
            if not waiters:
                del self._waiters[user_id]

    def wake(self, user_id: int) -> None:
        for each in self._waiters.get(user_id, ()):
            each.set()

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(self._poll_seconds)
            if not self._waiters:
                continue
            try:
                users, self._position = await pooled(events.users_after, self._position)
            except Exception:  # noqa: BLE001 - the next tick tries again
                logger.exception("stream tick failed")
                continue
            for user_id in users:
                self.wake(user_id)

    async def _listen(self) -> None:
        loop = asyncio.get_running_loop()
        backoff = 0.5
        while True:
            conn = None
            try:
                arguments = connect_arguments(self._database_url)
                arguments["dbname"] = arguments.pop("database")
                arguments["application_name"] = LISTENER_NAME
                conn = await asyncio.to_thread(psycopg2.connect, **arguments)
                conn.autocommit = True
                conn.cursor().execute(f"LISTEN {events.CHANNEL}")
                backoff = 0.5
                gone = asyncio.Event()
                # Kept: a dead connection's fileno() raises, and a reader left behind on this
                # number would swallow the next connection's, which often gets the same one.
                fd = conn.fileno()
                loop.add_reader(fd, self._drain, conn, gone)
                try:
                    await gone.wait()
                finally:
                    loop.remove_reader(fd)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - reconnect below
                logger.warning("stream listener failed", exc_info=True)
            finally:
                if conn is not None:
                    conn.close()
            # Streams of every user read once more: a NOTIFY may have been lost meanwhile.
            for user_id in list(self._waiters):
                self.wake(user_id)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, _BACKOFF_MAX)

    def _drain(self, conn, gone: asyncio.Event) -> None:  # noqa: ANN001 - psycopg2
        try:
            conn.poll()
        except Exception:  # noqa: BLE001 - the connection dropped
            gone.set()
            return
        while conn.notifies:
            note = conn.notifies.pop(0)
            if note.payload.isdigit():
                self.wake(int(note.payload))
