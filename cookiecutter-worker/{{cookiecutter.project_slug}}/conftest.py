"""Opt into flowyard's conformance kit (and the real-server fixtures it runs against)."""

pytest_plugins = ["flowyard.testing.conformance"]
