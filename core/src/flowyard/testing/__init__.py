"""Test helpers for flowyard and for worker-type plugin authors.

``flowyard.testing.plugin`` is a pytest plugin (auto-registered through the ``pytest11`` entry
point) with fixtures; ``flowyard.testing.distributions`` builds throwaway installed distributions.
"""
