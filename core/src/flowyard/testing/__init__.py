"""Test helpers for flowyard and for worker-type plugin authors (pytest plugins are opt-in).

- ``flowyard.testing.plugin``: ``server``/``database_url``/``http`` fixtures (a real server).
- ``flowyard.testing.conformance``: the worker-type conformance kit (loads ``plugin`` too).
- ``flowyard.testing.distributions``: throwaway installed distributions.
- ``flowyard.testing.e2e``: the end-to-end harness for worker types (pool workers, deploy, wait).
- ``flowyard.testing.rendering``: a flow run and a rendered configuration for hook unit tests.
- ``flowyard.testing.keys``: API keys for tests against a server with auth on.

Opt in from the rootdir ``conftest.py``: ``pytest_plugins = ["flowyard.testing.conformance"]``.
"""

try:
    import pytest
except ImportError:  # the probe flow (flowyard.testing.probe) runs where pytest is not installed
    pass
else:
    # The kit's checks and fixtures assert; rewrite them for readable failures even when a
    # project imports ``flowyard.testing.kit`` before pytest loads it as a plugin.
    pytest.register_assert_rewrite(
        "flowyard.testing.kit",
        "flowyard.testing.kit_runs",
        "flowyard.testing.plugin",
        "flowyard.testing.e2e",
        "flowyard.testing.worker",
    )
