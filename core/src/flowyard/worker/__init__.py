"""The worker runtime: poll a pool, render each claimed run's job, submit it, watch it.

See :class:`flowyard.worker.runtime.Worker`; ``flowyard worker start`` is its CLI.
"""
