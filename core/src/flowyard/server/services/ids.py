"""Identifiers and generated names."""

from __future__ import annotations

import random
import uuid

_ADJECTIVES = [
    "amber",
    "brisk",
    "calm",
    "crimson",
    "daring",
    "eager",
    "fuzzy",
    "gentle",
    "hidden",
    "icy",
    "jolly",
    "keen",
    "lucky",
    "mellow",
    "nimble",
    "olive",
    "proud",
    "quiet",
    "rapid",
    "silver",
    "tidy",
    "urban",
    "vivid",
    "witty",
    "young",
    "zesty",
]
_ANIMALS = [
    "badger",
    "cheetah",
    "dingo",
    "eagle",
    "ferret",
    "gecko",
    "heron",
    "ibis",
    "jackal",
    "koala",
    "lemur",
    "marten",
    "newt",
    "otter",
    "panda",
    "quail",
    "raven",
    "salmon",
    "tapir",
    "urchin",
    "viper",
    "walrus",
    "yak",
    "zebra",
    "fox",
]


def new_id() -> str:
    """A random UUID string."""
    return str(uuid.uuid4())


def run_name() -> str:
    """A memorable flow-run name such as ``crimson-fox``."""
    return f"{random.choice(_ADJECTIVES)}-{random.choice(_ANIMALS)}"
