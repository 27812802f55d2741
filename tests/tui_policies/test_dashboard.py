"""The Dashboard: a light per policy, alerts, running jobs, the size trend."""

from __future__ import annotations

from rich.console import Console
from textual.widgets import Sparkline

from tests.tui.conftest import FIXED_NOW, SIZE, RecordingApp, screen_text, settle
from tests.tui_policies.seed import seed_history
from tui_backup.catalog import jobs as job_rows
from tui_backup.tui.widgets.dashboard import (
    Dashboard,
    PolicyLight,
    PolicySummary,
    render_running,
)


async def test_lights_last_next_and_alerts(policy_app: RecordingApp) -> None:
    seed_history(policy_app.service, FIXED_NOW)
    async with policy_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        dash = policy_app.query_one(Dashboard)
        rows = list(dash.query(PolicySummary))
        assert [r._status.name for r in rows] == ["nightly", "configs"]
        lights = [str(light.render()) for light in dash.query(PolicyLight)]
        assert lights == ["● ok", "● failing"]
        assert dash.query(PolicyLight).first().has_class("-ok")
        text = screen_text(pilot)
        assert "nightly → usb · last ✔ 03-01 02:00 · next 03-02 02:00" in text
        assert "proven 02-28 12:00" in text
        assert "✖ configs: last run failed: before hook failed" in text
        assert "▲ no snapshot yet" in text  # the profile's own problems too
        spark = rows[0].query_one(Sparkline)
        assert spark.display and list(spark.data or []) == [float(s) for s in dash.statuses[0].sizes]
        assert not rows[1].query_one(Sparkline).display  # one size is no trend


async def test_never_run_policy_is_an_alert(policy_app: RecordingApp) -> None:
    async with policy_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        dash = policy_app.query_one(Dashboard)
        statuses = {s.name: s for s in dash.statuses}
        assert statuses["nightly"].health != "ok"
        reason = statuses["nightly"].reasons[0]
        assert f"nightly: {reason}"[:40] in screen_text(pilot)


async def test_running_job_shows_until_it_ends(policy_app: RecordingApp) -> None:
    # A job of another process looks like this in the catalog: the dashboard's tick finds it.
    catalog = policy_app.service.catalog
    async with policy_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        job_id = job_rows.start_job(catalog, "backup", "usb", "cli")
        dash = policy_app.query_one(Dashboard)
        dash.refresh_data()
        await settle(pilot)
        assert [r.job.id for r in dash.running] == [job_id]
        assert f"⟳ running #{job_id} backup usb" in screen_text(pilot)
        console = Console(width=80, record=True)
        console.print(render_running(dash.running))
        assert "starting…" in console.export_text()
        job_rows.finish_job(catalog, job_id, "succeeded", duration_s=1.0)
        dash.refresh_data()
        await settle(pilot)
        assert dash.running == []
