"""Subscriptions, alerts, "send test" and the history over HTTP (API.md §1.14), with
real receivers: an SMTP server and a webhook receiver on 127.0.0.1 (tests/notifications/servers.py).

The server's SMTP settings point at the test's SMTP server (``SPARKLYTICS_SMTP_TLS=none``);
STARTTLS is tested on a Notifier of its own. Webhook hosts are names the test resolves
itself (``hooks.example.com`` → 127.0.0.1), which is also how "a host that resolves to
127.0.0.1" is refused at delivery.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re

import pytest

from sparklytics.notifications.notifier import Notifier, NotifierSettings
from sparklytics.notifications.smtp import SmtpSettings
from tests.api.helpers import assert_error, create_website, pageview, send, stored_events
from tests.harness import test_config
from tests.notifications.servers import self_signed_certificate, smtp_server, webhook_receiver

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?$")
STATS_7 = {"version": 1, "report_type": "stats", "date_range_type": "relative", "relative_days": 7}
ALERT = {"name": "Traffic spike", "metric": "pageviews", "condition_type": "spike", "threshold_value": 3, "channel": "email", "target": "ops@example.com"}


@pytest.fixture
def smtp():
    with smtp_server() as sink:
        yield sink


@pytest.fixture
def config(data_dir, smtp):
    """The server's e-mail goes to the test's SMTP server, in clear."""
    return test_config(data_dir, SPARKLYTICS_SMTP_HOST="127.0.0.1", SPARKLYTICS_SMTP_PORT=str(smtp.port),
                       SPARKLYTICS_SMTP_TLS="none", SPARKLYTICS_SMTP_FROM="reports@stats.example.com")


@pytest.fixture
async def site(client, services) -> str:
    website = await create_website(client)
    await send(client, [pageview(website, "https://example.com/"), pageview(website, "https://example.com/pricing")], ip="203.0.113.1")
    await send(client, pageview(website, "https://example.com/"), ip="203.0.113.2")
    assert len(await stored_events(services)) == 3
    return website


@pytest.fixture
async def report(client, site) -> dict:
    response = await client.post(f"/api/websites/{site}/reports", json={"name": "Weekly overview", "config": STATS_7})
    assert response.status_code == 201
    return (await response.get_json())["data"]


def path(site: str, rest: str) -> str:
    return f"/api/websites/{site}/{rest}"


async def ok(response, status: int = 200) -> dict:
    assert response.status_code == status, await response.get_data(as_text=True)
    return (await response.get_json())["data"]


def resolving_to(address: str):
    async def resolver(host: str, port: int) -> list[str]:
        assert host == "hooks.example.com"
        return [address]

    return resolver


def use_notifier(services, *, allow_private: bool, address: str = "127.0.0.1") -> None:
    """The server's notifier, resolving ``hooks.example.com`` to ``address``."""
    settings = NotifierSettings(smtp=services.notifier._settings.smtp, allow_private_webhooks=allow_private)
    services.notifier = Notifier(metadata=services.metadata, analytics=services.analytics, settings=settings, resolver=resolving_to(address))


# --- subscriptions ------------------------------------------------------------------------


async def test_subscription_crud(client, site, report) -> None:
    body = {"report_id": report["id"], "schedule": "weekly", "timezone": "Europe/Berlin", "channel": "email", "target": "ops@example.com"}
    sub = await ok(await client.post(path(site, "subscriptions"), json=body), 201)
    assert re.fullmatch(r"sub_[0-9a-z]{21}", sub["id"])
    assert {k: sub[k] for k in body} == body
    assert (sub["website_id"], sub["is_active"], sub["last_run_at"]) == (site, True, None)
    assert TIMESTAMP.match(sub["next_run_at"]) and TIMESTAMP.match(sub["created_at"])
    assert "webhook_secret" not in sub

    second = await ok(await client.post(path(site, "subscriptions"), json={**body, "timezone": None, "schedule": "daily"}), 201)
    assert second["timezone"] == "UTC"
    assert [s["id"] for s in await ok(await client.get(path(site, "subscriptions")))] == [second["id"], sub["id"]]

    updated = await ok(await client.put(path(site, f"subscriptions/{sub['id']}"), json={"is_active": False, "timezone": None}))
    assert (updated["is_active"], updated["timezone"], updated["target"]) == (False, "UTC", "ops@example.com")
    assert (await client.delete(path(site, f"subscriptions/{sub['id']}"))).status_code == 204
    await assert_error(await client.delete(path(site, f"subscriptions/{sub['id']}")), 404, "not_found", "Subscription not found")
    await assert_error(await client.put(path(site, f"subscriptions/{sub['id']}"), json={"is_active": True}), 404, "not_found", "Subscription not found")
    await assert_error(await client.post(path(site, f"subscriptions/{sub['id']}/test")), 404, "not_found", "Subscription not found")


@pytest.mark.parametrize(
    "change,status,message,field",
    [
        ({"schedule": "hourly"}, 400, "schedule must be one of: daily, weekly, monthly", "schedule"),
        ({"channel": "sms"}, 400, "channel must be one of: email, webhook", "channel"),
        ({"timezone": "Mars/Olympus"}, 400, "invalid timezone", "timezone"),
        ({"target": "  "}, 400, "target is required", "target"),
        ({"target": "ops@localhost"}, 400, "invalid email target", "target"),
        ({"channel": "webhook", "target": "http://[::1]/hook"}, 400, "webhook target host is not allowed", "target"),
        ({"channel": "webhook", "target": "http://0.0.0.0/hook"}, 400, "webhook target host is not allowed", "target"),
        ({"channel": "webhook", "target": "http://[::ffff:127.0.0.1]/"}, 400, "webhook target host is not allowed", "target"),
        ({"channel": "webhook", "target": "http://169.254.169.254/"}, 400, "webhook target host is not allowed", "target"),
        ({"channel": "webhook", "target": "http://[fd12::1]/"}, 400, "webhook target host is not allowed", "target"),
        ({"channel": "webhook", "target": "gopher://example.com/"}, 400, "webhook target must use http or https", "target"),
        ({"channel": "webhook", "target": "ops@example.com"}, 400, "invalid webhook target", "target"),
        ({"report_id": "report_missing"}, 404, "Report not found", None),
        ({"schedule": 7}, 422, None, "schedule"),
        ({"owner": "me"}, 422, None, "owner"),
    ],
)
async def test_subscription_errors(client, site, report, change, status, message, field) -> None:
    body = {"report_id": report["id"], "schedule": "daily", "channel": "email", "target": "ops@example.com", **change}
    code = "not_found" if status == 404 else "validation_error"
    error = await assert_error(await client.post(path(site, "subscriptions"), json=body), status, code, message)
    assert error["field"] == field


async def test_subscription_update_checks_the_target_against_the_stored_channel(client, site, report) -> None:
    body = {"report_id": report["id"], "schedule": "daily", "channel": "webhook", "target": "https://hooks.example.com/in"}
    sub = await ok(await client.post(path(site, "subscriptions"), json=body), 201)
    assert sub["webhook_secret"].startswith("whsec_")  # the website's first webhook: shown once
    changed = await ok(await client.put(path(site, f"subscriptions/{sub['id']}"), json={"target": "https://other.example.org/x"}))
    assert changed["target"] == "https://other.example.org/x" and "webhook_secret" not in changed
    await assert_error(await client.put(path(site, f"subscriptions/{sub['id']}"), json={"channel": "email"}), 400, "validation_error", "invalid email target", "target")
    await assert_error(await client.put(path(site, f"subscriptions/{sub['id']}"), json={}), 400, "validation_error", "request must include at least one updatable field")
    await assert_error(await client.put(path(site, f"subscriptions/{sub['id']}"), json={"schedule": None}), 400, "validation_error", "schedule must not be null", "schedule")
    await assert_error(await client.put(path(site, f"subscriptions/{sub['id']}"), json={"target": None}), 400, "validation_error", "target is required", "target")
    again = await ok(await client.post(path(site, "subscriptions"), json=body), 201)
    assert "webhook_secret" not in again


async def test_subscriptions_are_scoped_to_the_website(client, site, report) -> None:
    sub = await ok(await client.post(path(site, "subscriptions"), json={"report_id": report["id"], "schedule": "daily", "channel": "email", "target": "a@b.co"}), 201)
    other = await create_website(client, name="Other", domain="other.org")
    await assert_error(await client.post(path(other, "subscriptions"), json={"report_id": report["id"], "schedule": "daily", "channel": "email", "target": "a@b.co"}), 404, "not_found", "Report not found")
    await assert_error(await client.put(path(other, f"subscriptions/{sub['id']}"), json={"is_active": False}), 404, "not_found", "Subscription not found")
    await assert_error(await client.delete(path(other, f"subscriptions/{sub['id']}")), 404, "not_found", "Subscription not found")
    assert await ok(await client.get(path(other, "subscriptions"))) == []
    await assert_error(await client.get(path("site_nothere00", "subscriptions")), 404, "not_found", "Website not found")
    await assert_error(await client.get(path("site_nothere00", "notifications/history")), 404, "not_found", "Website not found")


# --- alerts -------------------------------------------------------------------------------


async def test_alert_crud(client, site) -> None:
    alert = await ok(await client.post(path(site, "alerts"), json={**ALERT, "lookback_days": 90}), 201)
    assert re.fullmatch(r"alr_[0-9a-z]{21}", alert["id"])
    assert (alert["lookback_days"], alert["threshold_value"], alert["is_active"]) == (30, 3.0, True)  # clamped
    default = await ok(await client.post(path(site, "alerts"), json={**ALERT, "name": "Second"}), 201)
    assert default["lookback_days"] == 7
    assert [a["id"] for a in await ok(await client.get(path(site, "alerts")))] == [default["id"], alert["id"]]
    updated = await ok(await client.put(path(site, f"alerts/{alert['id']}"), json={"condition_type": "threshold_below", "lookback_days": 0}))
    assert (updated["condition_type"], updated["lookback_days"], updated["name"]) == ("threshold_below", 1, "Traffic spike")
    assert (await client.delete(path(site, f"alerts/{alert['id']}"))).status_code == 204
    await assert_error(await client.delete(path(site, f"alerts/{alert['id']}")), 404, "not_found", "Alert not found")
    await assert_error(await client.put(path(site, f"alerts/{alert['id']}"), json={"name": "x"}), 404, "not_found", "Alert not found")


@pytest.mark.parametrize(
    "change,status,message,field",
    [
        ({"name": "  "}, 400, "name is required", "name"),
        ({"metric": "revenue"}, 400, "metric must be one of: pageviews, visitors, conversions, conversion_rate", "metric"),
        ({"condition_type": "above"}, 400, "condition_type must be one of: spike, drop, threshold_above, threshold_below", "condition_type"),
        ({"threshold_value": "Infinity"}, 400, "threshold_value must be a finite number", "threshold_value"),
        ({"target": "nobody"}, 400, "invalid email target", "target"),
        ({"channel": "webhook", "target": "http://localhost:8080/"}, 400, "webhook target host is not allowed", "target"),
        ({"threshold_value": "lots"}, 422, None, "threshold_value"),
    ],
)
async def test_alert_errors(client, site, change, status, message, field) -> None:
    await assert_error(await client.post(path(site, "alerts"), json={**ALERT, **change}), status, "validation_error", message, field)


# --- send test: e-mail ----------------------------------------------------------------------


async def test_send_test_email_is_a_readable_message_with_the_json_attached(client, site, report, smtp) -> None:
    body = {"report_id": report["id"], "schedule": "daily", "channel": "email", "target": "ops@example.com"}
    sub = await ok(await client.post(path(site, "subscriptions"), json=body), 201)
    delivery = await ok(await client.post(path(site, f"subscriptions/{sub['id']}/test")))
    assert (delivery["status"], delivery["error_message"], delivery["source_type"], delivery["source_id"]) == ("sent", None, "subscription", sub["id"])
    assert re.fullmatch(r"ntf_[0-9a-z]{21}", delivery["id"]) and TIMESTAMP.match(delivery["delivered_at"])

    [received] = smtp.messages
    message = received.message
    assert received.rcpt_tos == ["ops@example.com"] and not received.tls
    assert message["Subject"] == "[Test] Sparklytics report: Weekly overview"
    assert message["From"] == "reports@stats.example.com"
    html = message.get_body(("html",)).get_content()
    text = message.get_body(("plain",)).get_content()
    assert "Weekly overview" in html and "Pageviews" in html and ">3<" in html  # 3 pageviews
    assert "Visitors" in html and ">2<" in html
    assert "Pageviews: 3 (new)" in text and "Visitors: 2 (new)" in text  # nothing the week before
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "sparklytics.json"
    payload = json.loads(attachment.get_content())
    assert payload["kind"] == "report_subscription_test"
    assert (payload["website_id"], payload["subscription_id"], payload["report_id"]) == (site, sub["id"], report["id"])
    assert (payload["data"]["pageviews"], payload["data"]["visitors"]) == (3, 2)
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+00:00", payload["generated_at"])


async def test_send_test_alert_email(client, site, smtp) -> None:
    alert = await ok(await client.post(path(site, "alerts"), json=ALERT), 201)
    delivery = await ok(await client.post(path(site, f"alerts/{alert['id']}/test")))
    assert (delivery["status"], delivery["source_type"]) == ("sent", "alert")
    [received] = smtp.messages
    assert received.message["Subject"] == "[Test] Sparklytics alert: Traffic spike"
    payload = json.loads(next(received.message.iter_attachments()).get_content())
    assert {k: payload[k] for k in ("kind", "alert_id", "name", "metric", "condition_type", "threshold_value")} == {
        "kind": "alert_test", "alert_id": alert["id"], "name": "Traffic spike", "metric": "pageviews",
        "condition_type": "spike", "threshold_value": 3.0,
    }


async def test_a_failed_send_answers_200_with_the_reason(client, services, site, report, smtp) -> None:
    services.notifier = Notifier(metadata=services.metadata, analytics=services.analytics, settings=NotifierSettings(smtp=SmtpSettings(host=None)))
    sub = await ok(await client.post(path(site, "subscriptions"), json={"report_id": report["id"], "schedule": "daily", "channel": "email", "target": "a@b.co"}), 201)
    delivery = await ok(await client.post(path(site, f"subscriptions/{sub['id']}/test")))
    assert (delivery["status"], delivery["error_message"]) == ("failed", "smtp host is not configured")
    assert smtp.messages == []


async def test_starttls_is_used_when_required_and_never_skipped(client, services, site, report, tmp_path) -> None:
    certificate = self_signed_certificate(tmp_path)
    sub = await ok(await client.post(path(site, "subscriptions"), json={"report_id": report["id"], "schedule": "daily", "channel": "email", "target": "a@b.co"}), 201)
    subscription = await services.metadata.get_subscription(site, sub["id"])

    def notifier(port: int, tls: str) -> Notifier:
        smtp = SmtpSettings(host="127.0.0.1", port=port, tls=tls, ca_file=certificate.cert, username="reports", password="secret")
        return Notifier(metadata=services.metadata, analytics=services.analytics, settings=NotifierSettings(smtp=smtp))

    with smtp_server(tls_context=certificate.server_context(), login=("reports", "secret")) as secure:
        delivery = await notifier(secure.port, "starttls").test_subscription(subscription)
        assert delivery.status == "sent", delivery.error_message
        assert [(m.tls, m.login) for m in secure.messages] == [(True, "reports")]
    with smtp_server() as plain:
        delivery = await notifier(plain.port, "starttls").test_subscription(subscription)
        assert (delivery.status, delivery.error_message) == (
            "failed", "smtp server does not offer STARTTLS (set SPARKLYTICS_SMTP_TLS=none to send in clear)"
        )
        assert plain.messages == []
        anonymous = SmtpSettings(host="127.0.0.1", port=plain.port, tls="none")
        delivery = await Notifier(metadata=services.metadata, analytics=services.analytics,
                                  settings=NotifierSettings(smtp=anonymous)).test_subscription(subscription)
        assert delivery.status == "sent" and [(m.tls, m.login) for m in plain.messages] == [(False, None)]


# --- send test: webhooks --------------------------------------------------------------------


async def test_webhook_is_signed_with_the_secret_shown_once(client, services, site, report) -> None:
    use_notifier(services, allow_private=True)
    with webhook_receiver() as receiver:
        target = f"http://hooks.example.com:{receiver.port}/sparklytics?token=abc"
        sub = await ok(await client.post(path(site, "subscriptions"), json={"report_id": report["id"], "schedule": "daily", "channel": "webhook", "target": target}), 201)
        secret = sub["webhook_secret"]
        delivery = await ok(await client.post(path(site, f"subscriptions/{sub['id']}/test")))
        assert delivery["status"] == "sent", delivery["error_message"]
    [hook] = receiver.hooks
    assert hook.path == "/sparklytics?token=abc"
    assert hook.headers["host"] == f"hooks.example.com:{receiver.port}"  # the name, though sent to the address
    assert hook.headers["content-type"] == "application/json"
    expected = "sha256=" + hmac.new(secret.encode(), hook.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(hook.headers["x-sparklytics-signature"], expected)
    payload = json.loads(hook.body)
    assert (payload["kind"], payload["subscription_id"], payload["data"]["pageviews"]) == ("report_subscription_test", sub["id"], 3)


async def test_a_webhook_host_that_resolves_to_loopback_is_refused_at_delivery(client, services, site) -> None:
    use_notifier(services, allow_private=False)
    with webhook_receiver() as receiver:
        alert = await ok(await client.post(path(site, "alerts"), json={**ALERT, "channel": "webhook", "target": f"http://hooks.example.com:{receiver.port}/"}), 201)
        delivery = await ok(await client.post(path(site, f"alerts/{alert['id']}/test")))
    assert (delivery["status"], delivery["error_message"]) == ("failed", "webhook host hooks.example.com resolves to a non-public address (127.0.0.1)")
    assert receiver.hooks == []


@pytest.mark.parametrize("status,reason", [(500, "webhook answered HTTP 500"), (302, "webhook answered HTTP 302")])
async def test_a_webhook_answer_other_than_2xx_is_a_failure(client, services, site, status, reason) -> None:
    use_notifier(services, allow_private=True)
    with webhook_receiver(status) as receiver:
        alert = await ok(await client.post(path(site, "alerts"), json={**ALERT, "channel": "webhook", "target": f"http://hooks.example.com:{receiver.port}/"}), 201)
        delivery = await ok(await client.post(path(site, f"alerts/{alert['id']}/test")))
    assert (delivery["status"], delivery["error_message"]) == ("failed", reason)
    assert len(receiver.hooks) == 1  # a redirect is not followed


# --- history --------------------------------------------------------------------------------


async def test_history_is_newest_first_scoped_and_limited(client, site, report, smtp) -> None:
    sub = await ok(await client.post(path(site, "subscriptions"), json={"report_id": report["id"], "schedule": "daily", "channel": "email", "target": "a@b.co"}), 201)
    alert = await ok(await client.post(path(site, "alerts"), json=ALERT), 201)
    ids = [
        (await ok(await client.post(path(site, f"subscriptions/{sub['id']}/test"))))["id"],
        (await ok(await client.post(path(site, f"alerts/{alert['id']}/test"))))["id"],
        (await ok(await client.post(path(site, f"subscriptions/{sub['id']}/test"))))["id"],
    ]
    history = await ok(await client.get(path(site, "notifications/history")))
    assert [d["id"] for d in history] == ids[::-1]
    assert set(history[0]) == {"id", "source_type", "source_id", "idempotency_key", "status", "error_message", "delivered_at"}
    assert [d["id"] for d in await ok(await client.get(path(site, "notifications/history?limit=2")))] == ids[::-1][:2]
    assert len(await ok(await client.get(path(site, "notifications/history?limit=0")))) == 1  # clamped to 1
    await assert_error(await client.get(path(site, "notifications/history?limit=x")), 400, "validation_error", "limit must be an integer")
    other = await create_website(client, name="Other", domain="other.org")
    assert await ok(await client.get(path(other, "notifications/history"))) == []
    # Deleting a subscription takes its deliveries out of the history.
    assert (await client.delete(path(site, f"subscriptions/{sub['id']}"))).status_code == 204
    assert [d["id"] for d in await ok(await client.get(path(site, "notifications/history")))] == [ids[1]]


async def test_at_most_100_subscriptions_and_100_alerts_per_website(client, site, report) -> None:
    body = {"report_id": report["id"], "schedule": "daily", "channel": "email", "target": "a@b.co"}
    for n in range(100):
        assert (await client.post(path(site, "subscriptions"), json=body)).status_code == 201
        assert (await client.post(path(site, "alerts"), json={**ALERT, "name": f"a{n}"})).status_code == 201
    await assert_error(await client.post(path(site, "subscriptions"), json=body), 422, "limit_exceeded",
                       "maximum of 100 subscriptions per website reached", "subscriptions")
    await assert_error(await client.post(path(site, "alerts"), json=ALERT), 422, "limit_exceeded",
                       "maximum of 100 alerts per website reached", "alerts")
    other = await create_website(client, name="Other", domain="other.org")
    assert (await client.post(path(other, "alerts"), json=ALERT)).status_code == 201
