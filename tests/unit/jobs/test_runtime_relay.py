"""jobs.runtime.build_runtime: the relay thread runs in ordinary workers, not in jobs.drain's;
one middleware of each type, the background loops in one."""

from __future__ import annotations

import threading
from pathlib import Path

from jobs.background import BackgroundLoops
from jobs.relay import OutboxRelay
from jobs.runtime import build_runtime
from tests.support.processes import free_port, wait_for

ROOT = Path(__file__).resolve().parents[3]


def relays(base_settings, **options) -> list:
    # Nothing listens on these ports: the runtime is built without reaching the broker or the
    # store (and binds the database handle to the test database, as the suite has it).
    settings = base_settings.replace(broker_url=f"amqp://guest:guest@127.0.0.1:{free_port()}/%2F",
                                     s3_endpoint=f"127.0.0.1:{free_port()}")
    runtime = build_runtime(settings, **options)
    return [m for m in runtime.broker.middleware if isinstance(m, OutboxRelay)]


def test_a_draining_worker_relays_nothing(base_settings):
    assert len(relays(base_settings)) == 1
    assert relays(base_settings, relay_in_worker=False) == []
    assert "build_runtime(relay_in_worker=False)" in (ROOT / "jobs" / "drain.py").read_text()


def test_one_middleware_of_each_type_and_every_background_loop_in_it(base_settings):
    settings = base_settings.replace(broker_url=f"amqp://guest:guest@127.0.0.1:{free_port()}/%2F",
                                     s3_endpoint=f"127.0.0.1:{free_port()}")
    middleware = build_runtime(settings).broker.middleware
    types = [type(each) for each in middleware]
    # dramatiq logs "adding a middleware of the same type twice" otherwise.
    assert len(types) == len(set(types))
    [loops] = [each for each in middleware if isinstance(each, BackgroundLoops)]
    assert loops.names == ["events-pruner", "webhook-fan-out", "webhook-dispatch"]


def test_background_loops_run_in_named_threads_until_shutdown():
    seen: list[str] = []

    def loop(broker, stop: threading.Event) -> None:
        seen.append(threading.current_thread().name)
        stop.wait()

    loops = BackgroundLoops({"first": loop, "second": loop})
    loops.after_worker_boot(None, None)
    wait_for(lambda: len(seen) == 2, timeout=5, message="both loops started")
    assert sorted(seen) == ["first", "second"]
    loops.before_worker_shutdown(None, None)
    assert not any(thread.is_alive() for thread in threading.enumerate()
                   if thread.name in ("first", "second"))
