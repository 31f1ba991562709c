"""``flowyard server start`` builds its app without collection passes, then freezes what it built."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
from flowyard.cli.server_cmd import building_for_good


@pytest.fixture(autouse=True)
def restored_collector() -> Iterator[None]:
    yield
    gc.unfreeze()
    gc.enable()


def test_no_collection_runs_while_the_server_is_built() -> None:
    with building_for_good():
        assert not gc.isenabled()


def test_what_start_up_built_is_frozen_and_collection_resumes() -> None:
    frozen_before = gc.get_freeze_count()
    with building_for_good():
        built = [[i] for i in range(1000)]
    assert gc.isenabled()
    assert gc.get_freeze_count() >= frozen_before + len(built)


def test_a_failed_start_still_turns_collection_back_on() -> None:
    with pytest.raises(RuntimeError), building_for_good():
        raise RuntimeError("port in use")
    assert gc.isenabled()
