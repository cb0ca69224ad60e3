"""jobs.broker.QuorumBroker overrides two of Dramatiq's declaration hooks: it must declare
exactly what Dramatiq declares, plus the quorum arguments. If an upgrade of Dramatiq changes
its declarations, these fail, and the override must follow."""

from __future__ import annotations

from dramatiq.brokers.rabbitmq import RabbitmqBroker

from jobs.broker import QUORUM_ARGUMENTS, QuorumBroker

URL = "amqp://guest:guest@10.0.0.1:5672/v"  # never connected to


class Channel:
    """What a declaration asks of pika's channel."""

    def __init__(self) -> None:
        self.declared: list[tuple[str, bool, dict]] = []

    def queue_declare(self, *, queue: str, durable: bool, arguments: dict) -> None:
        self.declared.append((queue, durable, arguments))


def declarations(kind: type[RabbitmqBroker]) -> list[tuple[str, bool, dict]]:
    broker = kind(url=URL, middleware=[])
    channel = Channel()
    broker.state.channel = channel  # the thread's channel, as the broker keeps it
    broker._declare_queue("images")
    broker._declare_dq_queue("images")
    broker._declare_xq_queue("images")
    return channel.declared


def test_the_override_is_dramatiqs_declaration_plus_the_quorum_arguments():
    stock, ours = declarations(RabbitmqBroker), declarations(QuorumBroker)

    assert [(q, d) for q, d, _ in ours] == [(q, d) for q, d, _ in stock] == [
        ("images", True), ("images.DQ", True), ("images.XQ", True)]
    for (_, _, stock_arguments), (_, _, our_arguments) in zip(stock, ours, strict=True):
        assert our_arguments == {**stock_arguments, **QUORUM_ARGUMENTS}
    assert "x-max-priority" not in str(ours)  # quorum queues take no priorities
