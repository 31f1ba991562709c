"""The flow-run engine: what a worker's infrastructure runs (``python -m flowyard.engine``).

It reads ``FLOWYARD_FLOW_RUN_ID`` (and ``FLOWYARD_CLAIM_ID``; ``FLOWYARD_DEPLOYMENT_ID``, when the
worker sets it, is read in a thread while the run is) from the environment (the run and its
deployment come from the worker's handoff instead when it passed one, and the final state the
server accepted goes back through a file: :mod:`flowyard.engine.handoff`), loads the
deployment's entrypoint, moves the run to RUNNING (waiting if it was claimed early), runs the
flow with its parameters while shipping logs and prints to the API, and reports COMPLETED or
FAILED. Exit codes: 0 completed (or nothing to do), 1 failed, 2 misconfigured, 143 terminated.
"""
