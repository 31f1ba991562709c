"""This repository's tests opt into flowyard's pytest plugins (they are not auto-loaded).

``pytester`` tests the kit itself; ``flowyard.testing.conformance`` brings the worker-type conformance kit and, through it,
``flowyard.testing.plugin`` (the ``server``, ``database_url`` and ``http`` fixtures).
"""

pytest_plugins = ["pytester", "flowyard.testing.conformance"]
