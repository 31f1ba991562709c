"""Work pools in the browser: create from the form, edit the template, pause, watch a worker."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from flowyard.testing.plugin import SQLITE_ONLY, RunningServer
from flowyard.testing.worker import start_worker
from playwright.sync_api import expect
from ui_helpers import make_pool

pytestmark = [SQLITE_ONLY, pytest.mark.slow]


def test_a_pool_created_from_the_form_uses_the_types_default_template(
    server: RunningServer, page: Any
) -> None:
    page.goto(server.url + "/pools")
    page.shot("pools-empty")
    page.get_by_role("link", name="+ New pool").click()
    expect(page.locator("#base_job_template")).to_contain_text('"stream_output"')
    page.shot("pool-new")
    page.fill("input[name=name]", "made-in-browser")
    page.select_option("select[name=type]", "process")
    page.fill("input[name=concurrency_limit]", "3")
    page.get_by_role("button", name="Create work pool").click()
    expect(page).to_have_url(re.compile(r"/pools/made-in-browser$"))
    expect(page.locator("h1")).to_contain_text("made-in-browser")
    expect(page.locator("#start-command")).to_have_text(
        "flowyard worker start --pool made-in-browser"
    )
    page.shot("pool-details")
    pool = httpx.get(f"{server.api_url}/work_pools/made-in-browser", timeout=10).json()
    assert pool["concurrency_limit"] == 3
    assert "stream_output" in pool["base_job_template"]["variables"]["properties"]


def test_the_type_picker_reloads_the_default_template_of_the_chosen_type(
    server: RunningServer, page: Any
) -> None:
    page.goto(server.url + "/pools/new")
    page.select_option("select[name=type]", "docker")
    expect(page.locator("#base_job_template")).to_contain_text('"image_pull_policy"')


def test_a_template_error_is_shown_next_to_its_field(server: RunningServer, page: Any) -> None:
    make_pool(server, "tpl")
    page.goto(server.url + "/pools/tpl/template")
    page.shot("template-form")
    page.fill("#var-env", '{"FOO": 1}')
    page.get_by_role("button", name="Save").click()
    error = page.locator("#field-env .error")
    expect(error).to_contain_text("FOO")
    expect(page.locator("#field-stream_output .error")).to_have_count(0)
    page.shot("template-error")
    template = httpx.get(f"{server.api_url}/work_pools/tpl", timeout=10).json()["base_job_template"]
    assert "default" not in template["variables"]["properties"]["env"]


def test_a_valid_template_edit_is_saved_and_previewed(server: RunningServer, page: Any) -> None:
    make_pool(server, "tpl")
    page.goto(server.url + "/pools/tpl/template")
    page.fill("#var-command", "echo from-the-form")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".flash")).to_contain_text("saved")
    page.fill("#preview-form textarea", '{"env": {"A": "1"}}')
    page.get_by_role("button", name="Render").click()
    expect(page.locator("#preview")).to_contain_text('"A": "1"')
    expect(page.locator("#preview")).to_contain_text("echo from-the-form")
    page.shot("template-preview")
    page.get_by_role("link", name="Advanced (JSON)").click()
    expect(page.locator("#template-json")).to_contain_text("echo from-the-form")
    page.shot("template-advanced")


def test_pausing_a_pool_from_the_list(server: RunningServer, page: Any) -> None:
    make_pool(server, "pausable")
    page.goto(server.url + "/pools")
    row = page.locator("tr[data-pool=pausable]")
    expect(row.locator(".dot")).to_have_attribute("data-status", "NOT_READY")
    row.get_by_role("button", name="Pause pausable").click()
    expect(page.locator("tr[data-pool=pausable] .dot")).to_have_attribute("data-status", "PAUSED")
    page.shot("pools-paused")
    assert httpx.get(f"{server.api_url}/work_pools/pausable", timeout=10).json()["is_paused"]


def test_the_dot_turns_green_when_a_real_worker_starts(
    server: RunningServer, page: Any, tmp_path: Path
) -> None:
    make_pool(server, "live")
    page.goto(server.url + "/pools")
    dot = page.locator("tr[data-pool=live] .dot")
    expect(dot).to_have_attribute("data-status", "NOT_READY")
    page.evaluate("window.__notReloaded = true")
    worker = start_worker(server, "--pool", "live", "--name", "w1", log=tmp_path / "worker.log")
    try:
        expect(dot).to_have_attribute("data-status", "READY", timeout=15_000)
        assert page.evaluate("window.__notReloaded === true")
        expect(page.locator("tr[data-pool=live]")).to_contain_text("1 / 1")
        page.shot("pools-ready")
        page.goto(server.url + "/pools/live?tab=workers")
        expect(page.locator("tr[data-worker=w1] .dot")).to_have_attribute("data-status", "ONLINE")
        expect(page.locator("#start-banner")).to_have_count(0)
        page.shot("pool-workers")
        page.goto(server.url + "/pools/live?tab=queues")
        page.shot("pool-queues")
    finally:
        worker.stop()


def test_queues_are_reordered_with_the_arrows(server: RunningServer, page: Any) -> None:
    make_pool(server, "ordered")
    httpx.post(f"{server.api_url}/work_pools/ordered/queues", json={"name": "urgent"}, timeout=10)
    page.goto(server.url + "/pools/ordered?tab=queues")
    rows = page.locator("#queues tbody tr")
    expect(rows.first).to_have_attribute("data-queue", "default")
    page.get_by_role("button", name="Move urgent up").click()
    expect(rows.first).to_have_attribute("data-queue", "urgent")
    queues = httpx.get(f"{server.api_url}/work_pools/ordered/queues", timeout=10).json()
    assert [(q["name"], q["priority"]) for q in queues] == [("urgent", 1), ("default", 2)]


def test_offline_workers_are_removed_and_online_ones_kept(server: RunningServer, page: Any) -> None:
    make_pool(server, "crowded")
    beat = f"{server.api_url}/work_pools/crowded/workers/heartbeat"
    httpx.post(beat, json={"name": "gone", "heartbeat_interval_seconds": 0.01}, timeout=10)
    httpx.post(beat, json={"name": "alive", "heartbeat_interval_seconds": 60}, timeout=10)
    page.goto(server.url + "/pools/crowded?tab=workers")
    expect(page.locator("tr[data-worker=gone] .dot")).to_have_attribute("data-status", "OFFLINE")
    page.get_by_role("button", name="Remove 1 offline worker(s)").click()
    expect(page.locator("tr[data-worker=gone]")).to_have_count(0)
    expect(page.locator("tr[data-worker=alive]")).to_have_count(1)
    names = [w["name"] for w in httpx.get(f"{server.api_url}/work_pools/crowded/workers").json()]
    assert names == ["alive"]


def test_a_custom_type_from_a_registry_file_can_be_created_from_the_form(
    server: RunningServer, page: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    template = {
        "job_configuration": {"queue": "{{ batch_queue }}"},
        "variables": {
            "type": "object",
            "properties": {"batch_queue": {"type": "string", "default": "night-shift"}},
        },
    }
    registry = tmp_path / "types.json"
    registry.write_text(
        json.dumps(
            {
                "acme-batch": {
                    "distribution": "acme-flowyard-batch",
                    "description": "ACME's batch cluster.",
                    "default_base_job_template": template,
                }
            }
        )
    )
    monkeypatch.setenv("FLOWYARD_WORKER_REGISTRY", str(registry))
    page.goto(server.url + "/pools/new")
    page.select_option("select[name=type]", "acme-batch")
    expect(page.locator("#base_job_template")).to_contain_text("night-shift")
    page.fill("input[name=name]", "acme")
    page.get_by_role("button", name="Create work pool").click()
    expect(page.locator("h1")).to_contain_text("acme-batch")
    pool = httpx.get(f"{server.api_url}/work_pools/acme", timeout=10).json()
    assert pool["base_job_template"] == template
