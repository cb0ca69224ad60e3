"""Loops that run in a thread of every worker process, from its boot to its shutdown: the
events pruner and the webhook fan-out and dispatcher (the outbox relay has the same shape and
could run through :class:`BackgroundLoop` too)."""

from __future__ import annotations

import threading
from collections.abc import Callable

import dramatiq
from dramatiq.middleware import Middleware

#: What runs: given the worker's broker and an event set at shutdown, it returns once set.
Loop = Callable[[dramatiq.Broker, threading.Event], None]


class BackgroundLoop(Middleware):
    """Runs ``loop`` in a daemon thread named ``name`` in each worker process."""

    def __init__(self, loop: Loop, *, name: str) -> None:
        self._loop = loop
        self._name = name
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def after_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        self._thread = threading.Thread(target=self._loop, args=(broker, self._stop),
                                        name=self._name, daemon=True)
        self._thread.start()

    def before_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
