"""jobs.broker.build_broker: every node of a comma-separated BROKER_URL reaches pika."""

from __future__ import annotations

from core.settings import Settings
from jobs.broker import build_broker


def test_every_node_is_a_connection_parameter_in_order():
    settings = Settings(broker_url="amqp://guest:guest@10.0.0.1:5672/v,"
                                   "amqp://guest:guest@10.0.0.2:5673/v")
    broker = build_broker(settings, middleware=[])  # connects lazily: nothing is reached
    assert [(p.host, p.port, p.virtual_host) for p in broker.parameters] == [
        ("10.0.0.1", 5672, "v"), ("10.0.0.2", 5673, "v")]
    assert all(p.heartbeat == 30 for p in broker.parameters)  # our options on each
