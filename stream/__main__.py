"""``python -m stream``: the live stream on 0.0.0.0:EVENTS_PORT."""

from __future__ import annotations

import uvicorn

from core.logs import configure_logging
from core.settings import load_or_exit
from models.db import bind
from stream.app import create_app

#: Reads run in worker threads, each on a pooled connection only while it reads.
MAX_CONNECTIONS = 4
#: Seconds open streams get to end after SIGTERM before they are cut.
SHUTDOWN_SECONDS = 2


def main() -> None:
    settings = load_or_exit()
    configure_logging(settings.log_level)
    bind(settings.database_url, max_connections=MAX_CONNECTIONS)
    # Open streams never end by themselves: on SIGTERM they get a moment, then are closed,
    # and their clients reconnect (to another process) with Last-Event-ID.
    uvicorn.run(create_app(settings), host="0.0.0.0", port=settings.events_port,  # noqa: S104
                log_config=None, lifespan="on", timeout_graceful_shutdown=SHUTDOWN_SECONDS)


if __name__ == "__main__":
    main()
