"""Loops that run in a thread of every worker process, from its boot to its shutdown: the
events pruner and the webhook fan-out and dispatcher (the outbox relay has the same shape and
could run through :class:`BackgroundLoops` too)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping

import dramatiq
from dramatiq.middleware import Middleware

#: What runs: given the worker's broker and an event set at shutdown, it returns once set.
Loop = Callable[[dramatiq.Broker, threading.Event], None]


class BackgroundLoops(Middleware):
    """Runs each of ``loops`` in a daemon thread named by its key, in each worker process.

    One middleware for all of them: dramatiq warns about a second middleware of the same type.
    """

    def __init__(self, loops: Mapping[str, Loop]) -> None:
        self._loops = dict(loops)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    @property
    def names(self) -> list[str]:
        return list(self._loops)

    def after_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        for name, loop in self._loops.items():
            thread = threading.Thread(target=loop, args=(broker, self._stop), name=name,
                                      daemon=True)
            thread.start()
            self._threads.append(thread)

    def before_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=10)
