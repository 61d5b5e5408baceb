"""The Reports page in the browser: "save this view" from the overview, the report form
(preview, the API's 400 at the form, create, run, edit, delete), the subscription and
alert editors with "send test" answering sent or failed with the reason, the webhook
secret shown once, and the delivery history.

A server of its own (none mode) whose e-mail goes to an SMTP server on 127.0.0.1, so a
test e-mail is really received. One website, every visit today:

    r1  /  /pricing
    r2  /pricing
    r3  /
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.dashboard.conftest import Api, start_server
from tests.dashboard.seed import Dataset, Visit, seed
from tests.notifications.servers import smtp_server

VISITS = [
    Visit("r1", "chrome-windows", ("/", "/pricing")),
    Visit("r2", "firefox-linux", ("/pricing",)),
    Visit("r3", "safari-mac", ("/",)),
]


@pytest.fixture(scope="module")
def smtp():
    with smtp_server() as sink:
        yield sink


@pytest.fixture(scope="module")
def server(tmp_path_factory, smtp):
    running = start_server(
        tmp_path_factory, "reports", SPARKLYTICS_AUTH="none", SPARKLYTICS_RATE_LIMIT_DISABLE="true",
        SPARKLYTICS_SMTP_HOST="127.0.0.1", SPARKLYTICS_SMTP_PORT=str(smtp.port), SPARKLYTICS_SMTP_TLS="none",
    )
    yield running
    running.stop()


@pytest.fixture(scope="module")
def api(server) -> Api:
    return Api(server.url)


@pytest.fixture(scope="module")
def site(server, api) -> str:
    website_id = api.create_website("Report shop")
    seed(server.url, website_id, Dataset(VISITS))
    server.flush()
    return website_id


def test_save_this_view_preview_create_run_edit_delete(page, server, api, site) -> None:
    page.goto(f"{server.url}/dashboard/{site}?range=7d&compare_mode=previous_period&filter_page=%2Fpricing")
    page.get_by_test_id("save-view").click()
    dialog = page.get_by_role("dialog", name="New report")
    expect(dialog.get_by_test_id("report-filters")).to_contain_text("Page: /pricing")
    expect(dialog.get_by_label("Compare with")).to_have_value("previous_period")
    expect(dialog.get_by_label("Days")).to_have_value("7")

    dialog.get_by_label("Time zone").fill("Mars/Olympus")
    dialog.get_by_test_id("preview-report").click()
    expect(dialog.get_by_test_id("report-error")).to_have_text("timezone: invalid timezone")  # the API's 400, at the form
    dialog.get_by_label("Time zone").fill("UTC")
    dialog.get_by_test_id("preview-report").click()
    expected = api.get(f"/api/websites/{site}/stats?filter_page=/pricing&timezone=UTC")["data"]
    assert expected["pageviews"] == 2
    expect(dialog.get_by_test_id("result-pageviews")).to_have_text("2")  # what the stats route says

    dialog.get_by_label("Name", exact=True).fill("Pricing week")
    dialog.get_by_role("button", name="Create report").click()
    expect(page.get_by_test_id("report-row")).to_have_count(1)
    [summary] = api.get(f"/api/websites/{site}/reports")["data"]
    report = api.get(f"/api/websites/{site}/reports/{summary['id']}")["data"]
    assert (report["name"], report["config"]["relative_days"], report["config"]["filter_page"], report["config"]["compare_mode"]) == (
        "Pricing week", 7, "/pricing", "previous_period")

    page.get_by_test_id("run-report").click()
    expect(page.get_by_test_id("report-result").get_by_test_id("result-pageviews")).to_have_text("2")
    expect(page.get_by_test_id("report-row")).not_to_contain_text("never")  # last run shown

    page.get_by_test_id("report-row").get_by_role("button", name="Edit").click()
    dialog = page.get_by_role("dialog", name="Edit report")
    dialog.get_by_label("Shows").select_option("metrics")
    dialog.get_by_label("Breakdown by").select_option("page")
    dialog.get_by_label("Name", exact=True).fill("Pricing pages")
    dialog.get_by_role("button", name="Save report").click()
    expect(page.get_by_test_id("report-row")).to_contain_text("Pricing pages")
    page.get_by_test_id("run-report").click()
    expect(page.get_by_test_id("report-result").get_by_test_id("result-rows")).to_contain_text("/pricing")

    page.once("dialog", lambda confirm: confirm.accept())
    page.get_by_test_id("report-row").get_by_role("button", name="Delete").click()
    expect(page.get_by_test_id("report-row")).to_have_count(0)
    assert api.get(f"/api/websites/{site}/reports")["data"] == []


def test_subscription_and_alert_editors_send_test_and_history(page, server, api, site, smtp) -> None:
    status, body, _ = api.call("POST", f"/api/websites/{site}/reports", {"name": "Daily numbers", "config": {
        "version": 1, "report_type": "stats", "date_range_type": "relative", "relative_days": 1}})
    assert status == 201, body
    page.goto(f"{server.url}/dashboard/{site}/reports")

    subscriptions = page.get_by_test_id("subscriptions")
    subscriptions.get_by_test_id("new-subscription").click()
    dialog = page.get_by_role("dialog", name="New subscription")
    dialog.get_by_label("Every").select_option("daily")
    dialog.get_by_label("Time zone").fill("Europe/Berlin")
    dialog.locator("#target").fill("ops@localhost")
    dialog.get_by_role("button", name="Subscribe").click()
    expect(dialog.get_by_test_id("subscription-error")).to_have_text("invalid email target")
    dialog.locator("#target").fill("ops@example.com")
    dialog.get_by_role("button", name="Subscribe").click()
    row = subscriptions.get_by_test_id("subscription-row")
    expect(row).to_contain_text("Daily numbers")
    expect(row).to_contain_text("email → ops@example.com")
    received_before = len(smtp.messages)
    row.get_by_test_id("send-test").click()
    expect(row.get_by_test_id("test-result")).to_have_text("Sent")
    assert len(smtp.messages) == received_before + 1
    assert smtp.messages[-1].message["Subject"] == "[Test] Sparklytics report: Daily numbers"
    row.get_by_test_id("toggle-active").click()
    expect(row).to_contain_text("paused")
    assert [s["is_active"] for s in api.get(f"/api/websites/{site}/subscriptions")["data"]] == [False]
    row.get_by_test_id("toggle-active").click()
    expect(row).not_to_contain_text("paused")

    alerts = page.get_by_test_id("alerts")
    alerts.get_by_test_id("new-alert").click()
    dialog = page.get_by_role("dialog", name="New alert")
    dialog.get_by_label("Name", exact=True).fill("Busy day")
    dialog.get_by_label("Condition").select_option("threshold_above")
    dialog.get_by_label("Threshold").fill("100")
    dialog.get_by_label("Channel").select_option("webhook")
    dialog.locator("#target").fill("http://localhost:9/hook")
    dialog.get_by_role("button", name="Create alert").click()
    expect(dialog.get_by_test_id("alert-error")).to_have_text("webhook target host is not allowed")
    dialog.locator("#target").fill("http://hooks.invalid/sparklytics")
    dialog.get_by_role("button", name="Create alert").click()
    expect(alerts.get_by_test_id("webhook-secret")).to_contain_text("whsec_")  # shown once
    row = alerts.get_by_test_id("alert-row")
    expect(row).to_contain_text("Busy day")
    row.get_by_test_id("send-test").click()
    expect(row.get_by_test_id("test-result")).to_contain_text("Failed: webhook", timeout=15_000)

    history = page.get_by_test_id("history").get_by_test_id("history-row")
    expect(history).to_have_count(2)
    expect(history.nth(0)).to_contain_text("alert (test)")  # newest first
    expect(history.nth(0)).to_contain_text("failed: webhook")
    expect(history.nth(1)).to_contain_text("subscription (test)")
    expect(history.nth(1)).to_contain_text("sent")

    page.reload()
    expect(page.get_by_test_id("alerts").get_by_test_id("alert-row")).to_have_count(1)
    expect(page.get_by_test_id("webhook-secret")).to_have_count(0)  # never shown again
