"""The worker entry point, as operators launch it:

    dramatiq jobs.worker --processes 2 --threads 4

Importing this module builds the process's runtime (broker first, then the actors), and
Dramatiq's CLI finds the broker here. Each worker process also runs an outbox relay thread.
"""

from jobs.runtime import build_runtime

runtime = build_runtime()
broker = runtime.broker
