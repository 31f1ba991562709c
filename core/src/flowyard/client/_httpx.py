"""httpx, imported without its command-line client.

httpx imports its optional command-line client (click, rich, pygments: ~0.1 s) at import time.
Flowyard never uses it, so it is hidden while httpx loads. Every module of this package that uses
httpx imports it from here, so whichever comes first keeps the CLI client out; this cuts the
start-up of every flow run's engine process (and so dispatch latency, bench/dispatch_latency.py).
"""

import sys

if "httpx" not in sys.modules and "httpx._main" not in sys.modules:
    sys.modules["httpx._main"] = None  # type: ignore[assignment]
    try:
        import httpx
    finally:
        del sys.modules["httpx._main"]
else:
    import httpx

__all__ = ["httpx"]
