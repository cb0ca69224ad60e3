"""jobs.runtime.build_runtime: the relay thread runs in ordinary workers, not in jobs.drain's."""

from __future__ import annotations

from pathlib import Path

from jobs.relay import OutboxRelay
from jobs.runtime import build_runtime
from tests.support.processes import free_port

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
