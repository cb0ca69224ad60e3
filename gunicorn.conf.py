"""gunicorn settings for the API (``gunicorn -c gunicorn.conf.py api.wsgi:app``).

Worker model, measured on the 2-core target machine against the 100,000-product benchmark
database (wrk -t2 -c64, 5 s runs, two runs each, 2026-11-27):

    processes x threads   uncached GET /products/{id}   /healthz
    2 x 4 (gthread)       3,276 and 3,710 req/s          8,237 and 8,205 req/s
    4 x 1                 3,854 and 4,019 req/s          6,383 and 6,897 req/s
    2 x 8                 3,104 req/s (one run)

2 x 4 is kept: threads overlap the waits on PostgreSQL and Redis, it serves the cheap and
cached paths fastest, and it holds half the connection pools and memory of 4 processes;
4 x 1 is ~10 % ahead only when every request waits on PostgreSQL. WEB_CONCURRENCY and
GUNICORN_THREADS override both numbers.
"""

import os
import shutil
import tempfile
from pathlib import Path

from api import server_errors

# Requests gunicorn refuses itself (414, 431, 400) get the API's JSON error shape too.
server_errors.install()

# Each worker process writes its Prometheus samples here and /metrics adds them up; it must
# be set before the workers import prometheus_client, and emptied when the server starts.
os.environ.setdefault(
    "PROMETHEUS_MULTIPROC_DIR", str(Path(tempfile.gettempdir()) / f"api-metrics-{os.getpid()}")
)

bind = f"0.0.0.0:{os.environ.get('PORT', '8080')}"
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# Each process builds its own app, connection pool and Redis pool after the fork.
preload_app = False
# Finish in-flight requests on SIGTERM before exiting.
graceful_timeout = 20
timeout = 30
keepalive = 5
# Our middleware writes one JSON line per request; gunicorn's access log would repeat it.
accesslog = None
errorlog = "-"


def on_starting(server):  # noqa: ANN001, ANN201 - gunicorn's hook signature
    directory = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)


def child_exit(server, worker):  # noqa: ANN001, ANN201 - gunicorn's hook signature
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
