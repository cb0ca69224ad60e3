"""A worker without the outbox relay, for emptying the queues before they are deleted and
declared again (docs/api.md, Moving to quorum queues):

    dramatiq jobs.drain --processes 1 --threads 4

It takes and runs jobs like ``jobs.worker``, but publishes nothing new: jobs the API writes
meanwhile wait in the outbox for the next ordinary worker.
"""

from jobs.runtime import build_runtime

runtime = build_runtime(relay_in_worker=False)
broker = runtime.broker
