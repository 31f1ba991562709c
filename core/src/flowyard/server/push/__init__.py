"""Push pools: the server submits the runs of ``<type>:push`` pools itself (no worker process).

- :mod:`.support`: which worker types may be pushed (those implementing ``lookup``).
- :mod:`.status`: a push pool's READY / NOT_READY status and what ``work-pool inspect`` shows.
- :mod:`.identity`: the replica's name and its API key for its own loopback calls.
- :mod:`.submitter`: the in-server worker of one push pool (the worker runtime, with secrets
  resolved from the store in memory and ``lookup`` before every ``submit``).
- :mod:`.supervisor`: the service that runs one submitter per push pool in every replica.
"""
