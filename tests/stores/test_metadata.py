"""The MetadataStore contract: every method, on a real store, with exact values.

The ``metadata`` fixture (``tests/conftest.py``) yields a MetadataStore on each backend:
DuckDB's of a running server (writes go through the real Writer actor) and PostgreSQL's
on a fresh database; the tests call only Protocol methods and expect the same values
from both.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest

from sparklytics.bot_controls import DuplicateEntry, NewEntry, RecomputeRunning
from sparklytics.funnels import DuplicateFunnelName, FunnelLimitReached, NewStep
from sparklytics.goals import DuplicateGoalName, GoalLimitReached, InvalidGoal
from sparklytics.notifications.rules import InvalidNotification, MissingReport
from sparklytics.saved_reports import DuplicateReportName, parse_config
from sparklytics.stores.metadata import ImportProgress, MetadataStore, Salts, WebsiteIngestInfo
from sparklytics.website_aliases import AliasTaken

NOW = datetime(2026, 3, 29, 12, 0, 0)
STEPS = [NewStep("page_view", "/", "equals", "Home"), NewStep("event", "signup", "equals", "Signup")]
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?$")


async def add_site(metadata: MetadataStore, website_id: str = "site_a", timezone: str = "UTC") -> dict:
    return await metadata.insert_website(website_id=website_id, name="A", domain="a.example", timezone=timezone)


async def test_ping(metadata) -> None:
    assert await metadata.ping() is None


async def test_salts_rotate_once_a_day_and_keep_yesterdays_for_half_an_hour(metadata) -> None:
    first = await metadata.rotate_salts(NOW)
    assert isinstance(first, Salts) and first.day == NOW.date() and first.previous is None
    assert await metadata.rotate_salts(NOW + timedelta(hours=1)) == first
    midnight = datetime(2026, 3, 30)
    next_day = await metadata.rotate_salts(midnight + timedelta(minutes=1))
    assert next_day.current != first.current
    assert (next_day.previous, next_day.previous_until) == (first.current, midnight + timedelta(minutes=30))
    assert (await metadata.rotate_salts(midnight + timedelta(minutes=31))).previous is None


async def test_seed_settings_keeps_what_is_there(metadata) -> None:
    await metadata.seed_settings(install_id="first", version="1")
    await metadata.seed_settings(install_id="second", version="1")


async def test_websites(metadata) -> None:
    created = await add_site(metadata)
    assert {k: created[k] for k in ("id", "name", "domain", "timezone", "share_id")} == {
        "id": "site_a", "name": "A", "domain": "a.example", "timezone": "UTC", "share_id": None,
    }
    assert TIMESTAMP.match(created["created_at"])
    assert set(created) == {"id", "tenant_id", "name", "domain", "timezone", "ingest_peak_eps", "ingest_queue_max_events",
                            "share_id", "created_at", "updated_at", "extra_domains", "umami_website_id"}
    await add_site(metadata, "site_b", "Europe/Berlin")
    assert await metadata.get_website("site_a") == created
    assert await metadata.get_website("site_zz") is None

    page, total = await metadata.list_websites(after=None, limit=1)
    assert total == 2 and [w["id"] for w in page] == ["site_a"]
    page, _ = await metadata.list_websites(after="site_a", limit=10)
    assert [w["id"] for w in page] == ["site_b"]

    updated = await metadata.update_website("site_a", {"name": "Renamed", "ingest_peak_eps": 50})
    assert (updated["name"], updated["ingest_peak_eps"]) == ("Renamed", 50)
    assert await metadata.update_website("site_zz", {"name": "x"}) is None
    assert await metadata.report_context("site_b") == ("site_b", "Europe/Berlin", "balanced")
    assert await metadata.report_context("site_zz") is None
    assert await metadata.website_ingest_info("site_a") == WebsiteIngestInfo("site_a", "UTC", 50, None, "balanced", 70)
    assert await metadata.website_ingest_info("site_zz") is None

    assert await metadata.retire_website("site_b") is True  # gone for readers and ingest at once
    assert await metadata.retire_website("site_b") is False
    assert await metadata.get_website("site_b") is None
    assert await metadata.website_ingest_info("site_b") is None
    assert await metadata.delete_website("site_b") is True  # a retired website is deleted all the same
    assert await metadata.delete_website("site_b") is False

    assert await metadata.delete_website("site_a") is True
    assert await metadata.delete_website("site_a") is False
    assert await metadata.retire_website("site_a") is False
    assert await metadata.get_website("site_a") is None
    assert await metadata.report_context("site_a") is None


UMAMI_ID = "0b2c1b9e-3c4d-4e5f-8a9b-0c1d2e3f4a5b"


async def test_website_aliases_are_found_and_unique(metadata) -> None:
    created = await metadata.insert_website(
        website_id="site_a", name="A", domain="a.example", timezone="UTC",
        aliases={"extra_domains": ("www.a.example", "a-staging.example"), "umami_website_id": UMAMI_ID},
    )
    assert (created["extra_domains"], created["umami_website_id"]) == (["www.a.example", "a-staging.example"], UMAMI_ID)
    plain = await add_site(metadata, "site_b")  # shares a.example as its primary domain
    assert (plain["extra_domains"], plain["umami_website_id"]) == ([], None)
    assert await metadata.website_for_domain("a.example") == "site_a"  # the older of the two
    assert await metadata.website_for_domain("a-staging.example") == "site_a"
    assert await metadata.website_for_domain("nowhere.example") is None
    assert await metadata.website_for_umami_id(UMAMI_ID) == "site_a"
    assert await metadata.website_for_umami_id("11111111-2222-4333-8444-555555555555") is None

    with pytest.raises(AliasTaken) as taken:
        await metadata.update_website("site_b", {"name": "B", "extra_domains": ("b.example", "www.a.example")})
    assert (taken.value.field, taken.value.value) == ("extra_domains", "www.a.example")
    with pytest.raises(AliasTaken):
        await metadata.update_website("site_b", {"umami_website_id": UMAMI_ID})
    with pytest.raises(AliasTaken):
        await metadata.update_website("site_b", {"domain": "a-staging.example"})
    with pytest.raises(AliasTaken):
        await metadata.insert_website(
            website_id="site_c", name="C", domain="c.example", timezone="UTC", aliases={"extra_domains": ("a.example",)}
        )
    assert await metadata.get_website("site_c") is None  # the refused insert left nothing
    assert (await metadata.get_website("site_b"))["name"] == "A"  # nor did the refused update

    moved = await metadata.update_website("site_a", {"extra_domains": ("a-staging.example",), "umami_website_id": None})
    assert (moved["extra_domains"], moved["umami_website_id"]) == (["a-staging.example"], None)
    assert await metadata.website_for_domain("www.a.example") is None
    updated = await metadata.update_website("site_b", {"extra_domains": ("www.a.example",), "umami_website_id": UMAMI_ID})
    assert (updated["extra_domains"], updated["umami_website_id"]) == (["www.a.example"], UMAMI_ID)
    assert await metadata.website_for_umami_id(UMAMI_ID) == "site_b"

    assert await metadata.delete_website("site_b") is True
    assert await metadata.website_for_umami_id(UMAMI_ID) is None
    assert await metadata.website_for_domain("www.a.example") is None


async def test_sharing(metadata) -> None:
    await add_site(metadata)
    assert await metadata.enable_sharing("site_a", "share-1") == "share-1"
    assert await metadata.enable_sharing("site_a", "share-2") == "share-1"
    assert await metadata.shared_website("share-1") == (("site_a", "UTC", "balanced"), "A")
    assert await metadata.disable_sharing("site_a") is True
    assert await metadata.disable_sharing("site_a") is False
    assert await metadata.shared_website("share-1") is None
    assert await metadata.enable_sharing("site_zz", "share-3") is None
    assert await metadata.disable_sharing("site_zz") is None


async def test_auth_settings_and_sessions(metadata) -> None:
    settings = await metadata.load_auth_settings(new_jwt_secret="j" * 64, now=NOW)
    assert (settings.jwt_secret, settings.admin_password_hash, settings.active_keys) == ("j" * 64, None, {})
    assert await metadata.complete_setup(password_hash="$argon2id$a", change_required=True) is True
    assert await metadata.complete_setup(password_hash="$argon2id$b", change_required=False) is False
    await metadata.change_password(password_hash="$argon2id$c", jwt_secret="k" * 64)
    await metadata.revoke_session("live", NOW + timedelta(hours=1))
    await metadata.revoke_session("old", NOW - timedelta(hours=1))
    settings = await metadata.load_auth_settings(new_jwt_secret="x" * 64, now=NOW)
    assert (settings.admin_password_hash, settings.password_change_required, settings.jwt_secret) == (
        "$argon2id$c", False, "k" * 64,
    )
    assert settings.revoked_sessions == {"live": NOW + timedelta(hours=1)}
    assert await metadata.prune_revoked_sessions(NOW) == 1
    assert await metadata.prune_revoked_sessions(NOW) == 0


async def test_api_keys(metadata) -> None:
    for n in range(2):
        await metadata.insert_api_key(key_id=f"key_{n}", name=f"k{n}", key_hash=f"h{n}", key_prefix="spk_x",
                                      created_at=NOW + timedelta(minutes=n))
    assert await metadata.revoke_api_key("key_0", NOW) == "h0"
    assert await metadata.revoke_api_key("key_0", NOW) is None
    await metadata.record_key_usage(lambda: {"key_1": NOW + timedelta(hours=2)})
    await metadata.record_key_usage(lambda: {"key_1": NOW + timedelta(hours=1)})
    rows, total = await metadata.list_api_keys(limit=10, offset=0)
    assert total == 2 and [r["id"] for r in rows] == ["key_1", "key_0"]
    assert (rows[0]["last_used_at"], rows[1]["revoked_at"]) == ("2026-03-29 14:00:00", "2026-03-29 12:00:00")
    settings = await metadata.load_auth_settings(new_jwt_secret="j" * 64, now=NOW)
    assert settings.active_keys == {"h1": "key_1"}


async def test_key_usage_soon_is_written_before_the_next_write(metadata) -> None:
    await metadata.insert_api_key(key_id="key_a", name="a", key_hash="ha", key_prefix="spk_x", created_at=NOW)
    metadata.record_key_usage_soon(lambda: {"key_a": NOW + timedelta(minutes=5)})
    await metadata.record_key_usage(lambda: {})
    rows, _ = await metadata.list_api_keys(limit=1, offset=0)
    assert rows[0]["last_used_at"] == "2026-03-29 12:05:00"


async def test_funnels(metadata) -> None:
    await add_site(metadata)
    funnel = await metadata.create_funnel("site_a", "Signup", STEPS)
    assert [s["label"] for s in funnel["steps"]] == ["Home", "Signup"]
    assert set(funnel) == {"id", "website_id", "name", "created_at", "updated_at", "steps"}
    assert set(funnel["steps"][0]) == {"id", "funnel_id", "step_order", "step_type", "match_value", "match_operator",
                                       "label", "created_at"}
    assert set((await metadata.list_funnels("site_a"))[0]) == {"id", "website_id", "name", "step_count", "created_at",
                                                               "updated_at"}
    assert await metadata.get_funnel("site_a", funnel["id"]) == funnel
    assert [(f["name"], f["step_count"]) for f in await metadata.list_funnels("site_a")] == [("Signup", 2)]
    with pytest.raises(DuplicateFunnelName):
        await metadata.create_funnel("site_a", "Signup", STEPS)
    renamed = await metadata.update_funnel("site_a", funnel["id"], name="Renamed", steps=None)
    assert renamed["name"] == "Renamed" and len(renamed["steps"]) == 2
    assert await metadata.create_funnel("site_zz", "x", STEPS) is None
    await add_site(metadata, "site_b")
    assert await metadata.get_funnel("site_b", funnel["id"]) is None
    assert await metadata.delete_funnel("site_b", funnel["id"]) is False
    assert (await metadata.create_funnel("site_b", "Renamed", STEPS))["website_id"] == "site_b"  # names are per website
    assert await metadata.delete_funnel("site_a", funnel["id"]) is True
    assert await metadata.delete_funnel("site_a", funnel["id"]) is False
    for n in range(20):
        await metadata.create_funnel("site_a", f"F{n}", STEPS)
    with pytest.raises(FunnelLimitReached):
        await metadata.create_funnel("site_a", "F20", STEPS)


async def test_goals(metadata) -> None:
    await add_site(metadata)
    fields = {"goal_type": "event", "name": "Signup", "match_value": "signup"}
    goal = await metadata.create_goal("site_a", fields)
    assert (goal.name, goal.goal_type, goal.value_mode, goal.currency) == ("Signup", "event", "none", "USD")
    assert await metadata.get_goal("site_a", goal.id) == goal
    assert await metadata.list_goals("site_a") == [goal]
    with pytest.raises(DuplicateGoalName):
        await metadata.create_goal("site_a", fields)
    with pytest.raises(InvalidGoal):
        await metadata.update_goal("site_a", goal.id, {"value_mode": "fixed"})
    updated = await metadata.update_goal("site_a", goal.id, {"value_mode": "fixed", "fixed_value": 4.5})
    assert (updated.value_mode, updated.fixed_value) == ("fixed", 4.5)
    assert await metadata.create_goal("site_zz", fields) is None
    assert await metadata.update_goal("site_a", "goal_nope", {"name": "x"}) is None
    for n in range(49):
        await metadata.create_goal("site_a", {**fields, "name": f"G{n}"})
    with pytest.raises(GoalLimitReached):
        await metadata.create_goal("site_a", {**fields, "name": "G49"})
    assert await metadata.delete_goal("site_a", goal.id) is True
    assert await metadata.delete_goal("site_a", goal.id) is False
    assert await metadata.delete_website("site_a") is True
    assert await metadata.list_goals("site_a") == []


async def test_bot_controls(metadata) -> None:
    await add_site(metadata)
    assert await metadata.get_bot_policy("site_a") == {
        "website_id": "site_a", "mode": "balanced", "threshold_score": 70, "updated_at": None,
    }
    assert await metadata.get_bot_policy("site_zz") is None
    policy = await metadata.set_bot_policy("site_a", "strict", 60)
    assert (policy["mode"], policy["threshold_score"]) == ("strict", 60)
    first = await metadata.add_bot_entry("site_a", "blocklist", NewEntry("ua_contains", "spider", None))
    second = await metadata.add_bot_entry("site_a", "blocklist", NewEntry("ip_cidr", "10.0.0.0/8", "lab"))
    assert {k: v for k, v in second.items() if k not in ("id", "created_at")} == {
        "match_type": "ip_cidr", "match_value": "10.0.0.0/8", "note": "lab",
    } and TIMESTAMP.match(second["created_at"])
    with pytest.raises(DuplicateEntry):
        await metadata.add_bot_entry("site_a", "blocklist", NewEntry("ua_contains", "spider", None))
    page, following = await metadata.list_bot_entries("site_a", "blocklist", after=None, limit=1)
    assert [e["id"] for e in page] == [second["id"]] and following is not None
    page, following = await metadata.list_bot_entries("site_a", "blocklist", after=following, limit=1)
    assert [e["id"] for e in page] == [first["id"]] and following is None
    info = await metadata.website_ingest_info("site_a")
    assert (info.bot_mode, info.bot_threshold, [r.match_value for r in info.block], info.allow) == (
        "strict", 60, ["spider", "10.0.0.0/8"], (),
    )
    assert await metadata.remove_bot_entry("site_a", "blocklist", first["id"]) is True
    assert await metadata.remove_bot_entry("site_a", "blocklist", first["id"]) is False
    audit, _ = await metadata.list_bot_audit("site_a", after=None, limit=10)
    assert [a["action"] for a in audit] == ["block_remove", "block_add", "block_add", "policy_update"]


async def test_bot_recompute_jobs(metadata) -> None:
    await add_site(metadata)
    await metadata.add_bot_entry("site_a", "allowlist", NewEntry("ua_contains", "friendly", None))
    assert [r.match_value for r in (await metadata.website_ingest_info("site_a")).allow] == ["friendly"]
    start, end = datetime(2026, 3, 1), datetime(2026, 3, 8)
    assert await metadata.start_recompute("site_zz", start, end, 10) is None
    job_id = await metadata.start_recompute("site_a", start, end, 10)
    with pytest.raises(RecomputeRunning):
        await metadata.start_recompute("site_a", start, end, 10)
    await metadata.set_recompute_status(job_id, "running")
    await metadata.note_recompute_progress(job_id, 4)
    job = await metadata.get_recompute("site_a", job_id)
    assert {k: job[k] for k in ("job_id", "website_id", "status", "start_date", "end_date", "completed_at",
                                "error_message", "events_total", "events_done")} == {
        "job_id": job_id, "website_id": "site_a", "status": "running", "start_date": "2026-03-01 00:00:00",
        "end_date": "2026-03-08 00:00:00", "completed_at": None, "error_message": None, "events_total": 10,
        "events_done": 4,
    }
    assert TIMESTAMP.match(job["started_at"]) and TIMESTAMP.match(job["created_at"]) and len(job) == 11
    assert await metadata.get_recompute("site_b", job_id) is None
    assert await metadata.fail_unfinished_recomputes("stopped") == 1
    failed = await metadata.get_recompute("site_a", job_id)
    assert (failed["status"], failed["error_message"]) == ("failed", "stopped") and TIMESTAMP.match(failed["completed_at"])
    assert await metadata.fail_unfinished_recomputes("stopped") == 0
    second = await metadata.start_recompute("site_a", start, end, 0)
    await metadata.set_recompute_status(second, "success")
    assert (await metadata.get_recompute("site_a", second))["status"] == "success"
    audit, _ = await metadata.list_bot_audit("site_a", after=None, limit=10)
    assert [a["action"] for a in audit] == ["recompute_start", "recompute_start", "allow_add"]
    assert audit[-1]["payload"] == {"id": audit[-1]["payload"]["id"], "match_type": "ua_contains",
                                    "match_value": "friendly", "note": None}


async def test_funnel_steps_are_replaced_whole(metadata) -> None:
    await add_site(metadata)
    funnel = await metadata.create_funnel("site_a", "Signup", STEPS)
    three = [*STEPS, NewStep("page_view", "/done", "contains", "Done")]
    updated = await metadata.update_funnel("site_a", funnel["id"], name=None, steps=three)
    assert updated["name"] == "Signup" and [(s["step_order"], s["label"]) for s in updated["steps"]] == [
        (1, "Home"), (2, "Signup"), (3, "Done"),
    ]
    assert {s["id"] for s in updated["steps"]}.isdisjoint(s["id"] for s in funnel["steps"])
    assert [f["step_count"] for f in await metadata.list_funnels("site_a")] == [3]
    assert await metadata.update_funnel("site_a", "fun_nope", name="x", steps=None) is None


async def test_imported_exports_are_remembered(metadata) -> None:
    await add_site(metadata)
    assert await metadata.imported_export("site_a", "abc") is None
    await metadata.record_import_progress("site_a", "abc", "umami", ImportProgress(5, 10, 20, "ab" * 32))
    stopped = await metadata.imported_export("site_a", "abc")
    assert (stopped.finished, stopped.events, stopped.rows_done, stopped.rows_sending, stopped.visitor_salt) == (
        False, 5, 10, 20, "ab" * 32)
    await metadata.record_imported_export("site_a", "abc", "umami", 12, 30)
    done = await metadata.imported_export("site_a", "abc")
    assert isinstance(done.imported_at, datetime)
    # Whole: the salt that could trace the stored ids back to the export's is gone.
    assert (done.finished, done.events, done.rows_done, done.rows_sending, done.visitor_salt) == (True, 12, 30, 30, None)
    await metadata.record_imported_export("site_a", "abc", "umami", 12, 30)  # again: replaced, not refused
    assert await metadata.imported_export("site_b", "abc") is None
    day = datetime(2026, 3, 3).date()
    for _ in range(2):  # a second import of the same days replaces the first
        await metadata.replace_imported_stats("site_a", day, day, [(day, 1, 2, 1, 0, 10)], [("browser", day, "Chrome", 1, 2, 0, 1, 0, 10)])


# --- saved reports and notifications (issue 18) ------------------------------------------

REPORT_CONFIG = parse_config({"version": 1, "report_type": "stats", "date_range_type": "relative", "relative_days": 7})


async def test_saved_reports(metadata) -> None:
    await add_site(metadata)
    assert await metadata.create_report("site_missing", "R", None, REPORT_CONFIG) is None
    beta = await metadata.create_report("site_a", "beta", "d", REPORT_CONFIG)
    alpha = await metadata.create_report("site_a", "Alpha", None, REPORT_CONFIG)
    assert beta.config == REPORT_CONFIG and TIMESTAMP.match(beta.created_at) and beta.last_run_at is None
    assert [r.name for r in await metadata.list_reports("site_a")] == ["Alpha", "beta"]
    with pytest.raises(DuplicateReportName):
        await metadata.create_report("site_a", "beta", None, REPORT_CONFIG)
    with pytest.raises(DuplicateReportName):
        await metadata.update_report("site_a", alpha.id, {"name": "beta"})
    updated = await metadata.update_report("site_a", beta.id, {"description": None})
    assert (updated.name, updated.description) == ("beta", None)
    await metadata.mark_report_run("site_a", beta.id, NOW)
    assert (await metadata.get_report("site_a", beta.id)).last_run_at == "2026-03-29 12:00:00"
    assert await metadata.get_report("site_b", beta.id) is None
    assert await metadata.update_report("site_a", "report_nope", {"name": "x"}) is None
    assert await metadata.delete_report("site_a", beta.id) is True
    assert await metadata.delete_report("site_a", beta.id) is False


async def test_subscriptions_deliveries_and_history(metadata) -> None:
    await add_site(metadata)
    report = await metadata.create_report("site_a", "R", None, REPORT_CONFIG)
    body = {"report_id": report.id, "schedule": "daily", "timezone": "Europe/Berlin", "channel": "webhook", "target": "https://h.example.com/x"}
    subscription, secret = await metadata.create_subscription("site_a", body, datetime(2026, 3, 28, 7))
    assert secret.startswith("whsec_") and await metadata.webhook_secret("site_a") == secret
    assert subscription.next_run_at == "2026-03-29 06:00:00"  # 08:00 Berlin, summer time
    _, again = await metadata.create_subscription("site_a", body, NOW)
    assert again is None  # shown once
    with pytest.raises(MissingReport):
        await metadata.create_subscription("site_a", {**body, "report_id": "report_x"}, NOW)
    with pytest.raises(InvalidNotification):
        await metadata.update_subscription("site_a", subscription.id, {"channel": "email"}, NOW)
    assert [s.id for s in await metadata.due_subscriptions(datetime(2026, 3, 29, 6), 10)] == [subscription.id]

    claimed = await metadata.claim_delivery("subscription", subscription.id, "k1", NOW, (NOW, NOW + timedelta(days=1)))
    assert claimed and await metadata.claim_delivery("subscription", subscription.id, "k1", NOW) is None
    assert (await metadata.get_subscription("site_a", subscription.id)).next_run_at == "2026-03-30 12:00:00"
    delivery = await metadata.finish_delivery(claimed, "sent", None, NOW)
    assert (delivery.status, delivery.idempotency_key, delivery.source_id) == ("sent", "k1", subscription.id)

    alert, _ = await metadata.create_alert("site_a", {"name": "A", "metric": "visitors", "condition_type": "drop", "threshold_value": 2,
                                                      "channel": "email", "target": "a@b.co"}, NOW)
    later = await metadata.claim_delivery("alert", alert.id, "k2", NOW + timedelta(minutes=1))
    await metadata.finish_delivery(later, "failed", "nope", NOW + timedelta(minutes=1))
    assert [d.idempotency_key for d in await metadata.delivery_history("site_a", 10)] == ["k2", "k1"]
    assert [a.id for a in await metadata.active_alerts(10, None)] == [alert.id]
    assert await metadata.active_alerts(10, (alert.created_at, alert.id)) == []
    assert await metadata.delete_report("site_a", report.id) is True  # takes the subscriptions
    assert await metadata.list_subscriptions("site_a") == []
    assert [d.idempotency_key for d in await metadata.delivery_history("site_a", 10)] == ["k2"]


async def test_alerts_and_deleting_a_subscription(metadata) -> None:
    await add_site(metadata)
    body = {"name": "Drop", "metric": "visitors", "condition_type": "drop", "threshold_value": 2, "channel": "webhook",
            "target": "https://h.example.com/a"}
    alert, secret = await metadata.create_alert("site_a", body, NOW)
    assert secret.startswith("whsec_") and (alert.name, alert.threshold_value, alert.lookback_days) == ("Drop", 2.0, 7)
    assert await metadata.create_alert("site_zz", body, NOW) is None
    assert await metadata.list_alerts("site_a") == [alert] and await metadata.get_alert("site_a", alert.id) == alert
    updated, again = await metadata.update_alert("site_a", alert.id, {"is_active": False, "lookback_days": 14})
    assert (updated.is_active, updated.lookback_days, again) == (False, 14, None)
    assert await metadata.update_alert("site_a", "alr_nope", {"name": "x"}) is None
    assert await metadata.active_alerts(10, None) == []
    claimed = await metadata.claim_delivery("alert", alert.id, "alert-key", NOW)
    assert await metadata.delivery_claimed("alert-key") and not await metadata.delivery_claimed("other-key")
    await metadata.finish_delivery(claimed, "sent", None, NOW)
    assert await metadata.delete_alert("site_a", alert.id) is True
    assert await metadata.delete_alert("site_a", alert.id) is False
    assert await metadata.delivery_history("site_a", 10) == [] and not await metadata.delivery_claimed("alert-key")

    report = await metadata.create_report("site_a", "R", None, REPORT_CONFIG)
    sub_body = {"report_id": report.id, "schedule": "weekly", "channel": "email", "target": "a@b.co"}
    subscription, no_secret = await metadata.create_subscription("site_a", sub_body, NOW)
    assert no_secret is None and await metadata.list_subscriptions("site_a") == [subscription]
    moved, _ = await metadata.update_subscription("site_a", subscription.id, {"is_active": False}, NOW)
    assert moved.is_active is False and await metadata.due_subscriptions(NOW + timedelta(days=30), 10) == []
    assert await metadata.update_subscription("site_a", "sub_nope", {}, NOW) is None
    await metadata.claim_delivery("subscription", subscription.id, "sub-key", NOW)
    assert await metadata.delete_subscription("site_a", subscription.id) is True
    assert await metadata.delete_subscription("site_a", subscription.id) is False
    assert await metadata.get_subscription("site_a", subscription.id) is None and await metadata.delivery_history("site_a", 10) == []
