"""A tiny flow for the compose recipe: deploy it from the worker container (see ../README)."""

from flowyard import flow


@flow(log_prints=True)
def hello(name: str = "compose") -> str:
    """Print a greeting and return the name."""
    print(f"hello {name}")
    return name
