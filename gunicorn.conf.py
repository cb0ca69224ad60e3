"""gunicorn settings for the API (``gunicorn -c gunicorn.conf.py api.wsgi:app``).

Worker model, measured on the 2-core target machine (docs/benchmarks.md): requests here wait
on PostgreSQL and Redis far more than they compute, so threads overlap that waiting cheaply.
``gthread`` with 2 processes x 4 threads served the most requests per second for the
IO-bound endpoints; more processes only added context switches on two cores.
"""

import os
import shutil
import tempfile
from pathlib import Path

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
