"""Deployments and runs in the browser: run, live logs, completion without reload, cancel."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from flowyard.testing.plugin import SQLITE_ONLY, RunningServer
from flowyard.testing.worker import start_worker
from playwright.sync_api import expect
from ui_helpers import deploy, make_pool

pytestmark = [SQLITE_ONLY, pytest.mark.slow]


def test_running_a_deployment_streams_its_logs_until_completed(
    server: RunningServer, page: Any, project: Path, tmp_path: Path
) -> None:
    make_pool(server, "runs")
    deployment_id = deploy(server, project, "chatty", "talk", "runs")
    worker = start_worker(server, "--pool", "runs", log=tmp_path / "worker.log")
    try:
        page.goto(server.url + "/deployments")
        page.shot("deployments")
        page.get_by_role("link", name="talk").click()
        expect(page).to_have_url(re.compile(f"/deployments/{deployment_id}$"))
        # the form is generated from the flow's signature (the parameter schema sent at deploy)
        page.fill("#run-form #param-lines", "6")
        page.fill("#run-form #param-pause", "0.4")
        page.shot("deployment")
        page.get_by_role("button", name="Run").click()
        expect(page).to_have_url(re.compile(r"/runs/[0-9a-f-]+$"))
        page.evaluate("window.__notReloaded = true")
        logs = page.locator("#logs")
        expect(logs).to_contain_text("line 0 of 6", timeout=20_000)
        # lines keep arriving while the run is still RUNNING: pushed, not loaded at the end
        state_when_first_line = page.locator("#run-state .badge").get_attribute("data-state")
        assert state_when_first_line in {"PENDING", "RUNNING"}
        expect(page.locator("#run-state .badge")).to_have_attribute(
            "data-state", "COMPLETED", timeout=30_000
        )
        expect(logs).to_contain_text("line 5 of 6")
        expect(page.locator("#stream-status")).to_contain_text("finished")
        assert page.evaluate("window.__notReloaded === true")
        expect(page.locator("#timeline")).to_contain_text("Running")
        expect(page.locator("#run-infra")).not_to_have_text("—")
        page.shot("run-completed")
        page.select_option("#log-level", "30")
        expect(logs.locator("li[data-level='20']").first).to_be_hidden()
        page.goto(server.url + "/runs")
        expect(page.locator("table.grid")).to_contain_text("Completed")
        page.shot("runs")
    finally:
        worker.stop()


def test_cancelling_a_run_from_its_page(
    server: RunningServer, page: Any, project: Path, tmp_path: Path
) -> None:
    make_pool(server, "cancel")
    deployment_id = deploy(server, project, "sleepy", "nap", "cancel")
    worker = start_worker(server, "--pool", "cancel", log=tmp_path / "worker.log")
    try:
        run = httpx.post(
            f"{server.api_url}/deployments/{deployment_id}/runs", json={}, timeout=10
        ).json()
        page.goto(f"{server.url}/runs/{run['id']}")
        expect(page.locator("#logs")).to_contain_text("sleeping", timeout=20_000)
        page.get_by_role("button", name="Cancel run").click()
        expect(page.locator("#run-state .badge")).to_have_attribute(
            "data-state", "CANCELLED", timeout=30_000
        )
        page.shot("run-cancelled")
    finally:
        worker.stop()


def test_a_bad_parameter_payload_is_refused_at_its_field(
    server: RunningServer, page: Any, project: Path
) -> None:
    make_pool(server, "bad")
    deployment_id = deploy(server, project, "chatty", "talk", "bad")
    page.goto(f"{server.url}/deployments/{deployment_id}")
    page.fill("#run-form textarea[name=job_variables]", "not json")
    page.get_by_role("button", name="Run").click()
    expect(page.locator("#run-form .error").first).to_contain_text("job_variables")
    assert (
        httpx.post(
            f"{server.api_url}/flow_runs/filter", json={"deployment_id": deployment_id}, timeout=10
        ).json()
        == []
    )
