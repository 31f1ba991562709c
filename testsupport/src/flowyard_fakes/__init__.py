"""Test support for flowyard's cloud worker types (not shipped inside any plugin).

- :mod:`flowyard_fakes.containers`: runs containers on the real Docker engine for every fake.
- :mod:`flowyard_fakes.kubernetes`: a Kubernetes API emulator (jobs, pods, logs, events, watches).
"""
