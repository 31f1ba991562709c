"""flowyard worker type ``process``: flow runs as local subprocesses."""

__version__ = "0.1.0"
