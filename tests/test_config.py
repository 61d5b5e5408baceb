"""Configuration: parsed once; a bad value stops the start with exit 2 naming the variable."""

from __future__ import annotations

import pytest

from sparklytics.config import SETTINGS, ConfigError, load_config
from tests.harness import run_cli


def test_defaults_start_on_a_loopback_url_without_secure_cookies() -> None:
    config = load_config({})
    assert config.port == 3000
    assert str(config.data_dir) == "data"
    assert config.auth == "local"
    assert config.https is False
    assert config.warnings and "Secure" in config.warnings[0]
    assert config.tracking_public_base == "http://localhost:3000"


def test_https_defaults_to_true_for_a_public_url() -> None:
    config = load_config({"SPARKLYTICS_PUBLIC_URL": "https://analytics.example.com/"})
    assert config.https is True
    assert config.public_url == "https://analytics.example.com"


def test_the_ingest_path_is_lean_unless_classic_is_asked_for() -> None:
    assert load_config({}).ingest_path == "lean"
    assert load_config({"SPARKLYTICS_INGEST_PATH": "Classic"}).ingest_path == "classic"


def test_lists_and_cidrs_are_parsed() -> None:
    config = load_config(
        {
            "SPARKLYTICS_CORS_ORIGINS": "https://a.example, https://b.example  http://localhost:5173",
            "SPARKLYTICS_TRUSTED_PROXIES": "10.0.0.0/8, ::1/128",
        }
    )
    assert config.cors_origins == ("https://a.example", "https://b.example", "http://localhost:5173")
    assert [str(n) for n in config.trusted_proxies] == ["10.0.0.0/8", "::1/128"]


CLOUD = {
    "SPARKLYTICS_MODE": "cloud",
    "SPARKLYTICS_CLICKHOUSE_URL": "http://ch1:8123",
    "SPARKLYTICS_CLICKHOUSE_CLUSTER": "c",
    "SPARKLYTICS_DATABASE_URL": "postgresql://pg/s",
    "SPARKLYTICS_LOCKOUT_SECRET": "0123456789abcdef0123456789abcdef",
}


def test_cloud_mode_reads_its_stores() -> None:
    config = load_config({
        "SPARKLYTICS_MODE": "cloud",
        "SPARKLYTICS_CLICKHOUSE_URL": "http://ch1:8123, http://ch2:8123/",
        "SPARKLYTICS_CLICKHOUSE_CLUSTER": "events_cluster",
        "SPARKLYTICS_DATABASE_URL": "postgresql://app:pw@pg:5432/sparklytics",
        "SPARKLYTICS_LOCKOUT_SECRET": " 0123456789abcdef0123456789abcdef ",
    })
    assert config.mode == "cloud"
    assert config.cloud.lockout_secret == "0123456789abcdef0123456789abcdef"
    assert "0123456789abcdef" not in repr(config)
    assert config.cloud.clickhouse_urls == ("http://ch1:8123", "http://ch2:8123")
    assert (config.cloud.clickhouse_cluster, config.cloud.clickhouse_database) == ("events_cluster", "sparklytics")
    assert config.cloud.clickhouse_user == "default" and config.cloud.node_id is None
    assert load_config({}).cloud is None


@pytest.mark.parametrize(
    ("env", "variable", "message"),
    [
        ({"SPARKLYTICS_PORT": "http"}, "SPARKLYTICS_PORT", "got 'http'; allowed: an integer from 1 to 65535"),
        ({"SPARKLYTICS_PORT": "70000"}, "SPARKLYTICS_PORT", "got '70000'; allowed: an integer from 1 to 65535"),
        ({"SPARKLYTICS_AUTH": "ldap"}, "SPARKLYTICS_AUTH", "got 'ldap'; allowed: local, password, none"),
        ({"SPARKLYTICS_AUTH": "password"}, "SPARKLYTICS_PASSWORD", "required when SPARKLYTICS_AUTH=password"),
        ({"SPARKLYTICS_HTTPS": "maybe"}, "SPARKLYTICS_HTTPS", "got 'maybe'; allowed: true or false"),
        ({"SPARKLYTICS_HTTPS": "true"}, "SPARKLYTICS_HTTPS", None),
        ({"SPARKLYTICS_RETENTION_DAYS": "0"}, "SPARKLYTICS_RETENTION_DAYS", None),
        ({"SPARKLYTICS_SESSION_DAYS": "-1"}, "SPARKLYTICS_SESSION_DAYS", None),
        ({"SPARKLYTICS_MODE": "edge"}, "SPARKLYTICS_MODE", "got 'edge'; allowed: selfhosted, cloud"),
        (
            {"SPARKLYTICS_MODE": "cloud"},
            "SPARKLYTICS_CLICKHOUSE_URL",
            "required when SPARKLYTICS_MODE=cloud (missing: SPARKLYTICS_CLICKHOUSE_URL, "
            "SPARKLYTICS_CLICKHOUSE_CLUSTER, SPARKLYTICS_DATABASE_URL, SPARKLYTICS_LOCKOUT_SECRET)",
        ),
        (
            {"SPARKLYTICS_MODE": "cloud", "SPARKLYTICS_CLICKHOUSE_URL": "http://ch1:8123", "SPARKLYTICS_CLICKHOUSE_CLUSTER": "c",
             "SPARKLYTICS_LOCKOUT_SECRET": "0123456789abcdef0123456789abcdef"},
            "SPARKLYTICS_DATABASE_URL",
            "required when SPARKLYTICS_MODE=cloud (missing: SPARKLYTICS_DATABASE_URL)",
        ),
        (
            {**CLOUD, "SPARKLYTICS_LOCKOUT_SECRET": "short-secret"},
            "SPARKLYTICS_LOCKOUT_SECRET",
            "at least 32 characters (e.g. `openssl rand -hex 32`), got 12",
        ),
        ({**CLOUD, "SPARKLYTICS_CLICKHOUSE_URL": "ch1:8123"}, "SPARKLYTICS_CLICKHOUSE_URL", None),
        ({**CLOUD, "SPARKLYTICS_CLICKHOUSE_CLUSTER": "a;b"}, "SPARKLYTICS_CLICKHOUSE_CLUSTER", None),
        ({**CLOUD, "SPARKLYTICS_DATABASE_URL": "mysql://db/s"}, "SPARKLYTICS_DATABASE_URL", None),
        ({**CLOUD, "SPARKLYTICS_NODE_ID": "a b"}, "SPARKLYTICS_NODE_ID", None),
        ({"SPARKLYTICS_ARGON2_MEMORY_KB": "12"}, "SPARKLYTICS_ARGON2_MEMORY_KB", None),
        ({"SPARKLYTICS_PUBLIC_URL": "analytics.example.com"}, "SPARKLYTICS_PUBLIC_URL", None),
        ({"SPARKLYTICS_TRACKING_PUBLIC_BASE": "ftp://x"}, "SPARKLYTICS_TRACKING_PUBLIC_BASE", None),
        ({"SPARKLYTICS_RATE_LIMIT_DISABLE": "yes please"}, "SPARKLYTICS_RATE_LIMIT_DISABLE", None),
        ({"SPARKLYTICS_DUCKDB_MEMORY": "lots"}, "SPARKLYTICS_DUCKDB_MEMORY", "got 'lots'; allowed: a size such as 512MB or 1GB"),
        ({"SPARKLYTICS_TRUSTED_PROXIES": "10.0.0.0/33"}, "SPARKLYTICS_TRUSTED_PROXIES", None),
        ({"SPARKLYTICS_CORS_ORIGINS": "example.com"}, "SPARKLYTICS_CORS_ORIGINS", None),
        ({"SPARKLYTICS_INGEST_QUEUE_MAX_EVENTS": "1e5"}, "SPARKLYTICS_INGEST_QUEUE_MAX_EVENTS", None),
        ({"SPARKLYTICS_LOG_LEVEL": "loud"}, "SPARKLYTICS_LOG_LEVEL", None),
        ({"SPARKLYTICS_INGEST_PATH": "fast"}, "SPARKLYTICS_INGEST_PATH", "got 'fast'; allowed: lean, classic"),
    ],
)
def test_invalid_values_name_the_variable(env, variable, message) -> None:
    with pytest.raises(ConfigError) as error:
        load_config(env)
    assert error.value.variable == variable
    assert str(error.value).startswith(f"{variable}: ")
    if message:
        assert str(error.value) == f"{variable}: {message}"


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"SPARKLYTICS_PORT": "abc"}, "SPARKLYTICS_PORT"),
        ({"SPARKLYTICS_HTTPS": "true"}, "SPARKLYTICS_HTTPS"),
        ({"SPARKLYTICS_AUTH": "password"}, "SPARKLYTICS_PASSWORD"),
    ],
)
def test_serve_exits_2_with_one_line_naming_the_variable(tmp_path, env, variable) -> None:
    result = run_cli(["serve"], {"SPARKLYTICS_DATA_DIR": str(tmp_path), **env})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"sparklytics: invalid configuration: {variable}: ")
    assert not (tmp_path / "sparklytics.db").exists()


def test_version_command() -> None:
    result = run_cli(["version"], {})
    assert result.returncode == 0
    assert result.stdout.strip() == "0.1.0"


def test_every_setting_has_help() -> None:
    assert all(setting.name.startswith("SPARKLYTICS_") and setting.help for setting in SETTINGS)
    assert len({s.name for s in SETTINGS}) == len(SETTINGS)
