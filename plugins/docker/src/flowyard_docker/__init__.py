"""flowyard worker type ``docker``: flow runs in Docker containers, and deployment image builds."""

__version__ = "0.1.0"
