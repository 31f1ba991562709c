"""Source of the flows the end-to-end tests deploy (written to a temporary project directory)."""

FLOWS = """
import os
import signal
import time

from flowyard import flow, get_run_logger


@flow(log_prints=True)
def hello(name: str = "world", times: int = 1) -> str:
    for i in range(times):
        print(f"hello {name} #{i}")
    get_run_logger().info("env X=%s", os.environ.get("X"))
    return name


@flow
def broken(limit: int = 3) -> None:
    raise ValueError(f"limit {limit} is too small")


@flow(log_prints=True)
def sleepy(seconds: float = 60, pid_file: str = "") -> None:
    if pid_file:
        with open(pid_file, "w") as f:
            f.write(str(os.getpid()))
    print("sleeping", flush=True)
    time.sleep(seconds)


@flow
def whoami() -> None:
    key = os.environ.get("FLOWYARD_API_KEY", "")
    get_run_logger().info("key kind %s; X=%s", key.split("_")[0], os.environ.get("X"))


@flow
def self_destruct() -> None:
    os.kill(os.getpid(), signal.SIGKILL)
"""
