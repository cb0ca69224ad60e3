"""Returning a worker thread's database connection after each message."""

from __future__ import annotations

import dramatiq
from dramatiq.middleware import Middleware

from models.db import release


class DatabaseConnections(Middleware):
    """Returns the message's pooled connection, if its code took one, when the message ends.

    The worker's counterpart of the API's middleware of the same name: whatever a job did
    (finished, failed, raised before its own cleanup, or was skipped), the connection goes
    back to the pool instead of staying checked out by an idle thread. The broker lists it
    first, so that its "after" hooks, which run in reverse order, come after every other
    middleware's (the dead-letter recording included).
    """

    def after_process_message(self, broker: dramatiq.Broker, message: dramatiq.Message, *,
                              result: object = None,
                              exception: BaseException | None = None) -> None:
        release()

    def after_skip_message(self, broker: dramatiq.Broker, message: dramatiq.Message) -> None:
        release()
