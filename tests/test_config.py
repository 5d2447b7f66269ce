"""Settings from the environment and a TOML file; bad values name their key."""

from __future__ import annotations

from pathlib import Path

import pytest

from dashapp.config import ConfigError, Settings


def test_cfg001_defaults() -> None:
    s = Settings.load()
    assert s.database_url == "sqlite:///var/feedbackwall.db"
    assert s.cache_url == "simple"
    assert s.min_n == 10


def test_cfg002_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FEEDBACKWALL_DATABASE_URL", "postgresql+psycopg://wall@db/wall")
    monkeypatch.setenv("FEEDBACKWALL_CACHE_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("FEEDBACKWALL_MIN_N", "30")
    s = Settings.load()
    assert (s.database_url, s.cache_url, s.min_n) == (
        "postgresql+psycopg://wall@db/wall",
        "redis://127.0.0.1:6379/0",
        30,
    )


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("FEEDBACKWALL_DATABASE_URL", "mysql://x", "FEEDBACKWALL_DATABASE_URL"),
        ("FEEDBACKWALL_CACHE_URL", "memcached://x", "FEEDBACKWALL_CACHE_URL"),
        ("FEEDBACKWALL_MIN_N", "0", "FEEDBACKWALL_MIN_N"),
        ("FEEDBACKWALL_POLL_INTERVAL", "soon", "FEEDBACKWALL_POLL_INTERVAL"),
        ("FEEDBACKWALL_TYPO", "1", "FEEDBACKWALL_TYPO"),
    ],
)
def test_cfg003_bad_environment_names_the_key(
    monkeypatch: pytest.MonkeyPatch, key: str, value: str, message: str
) -> None:
    monkeypatch.setenv(key, value)
    with pytest.raises(ConfigError, match=message):
        Settings.load()


def test_cfg004_toml_sources_and_playlists(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = tmp_path / "wall.toml"
    path.write_text(
        """
min_n = 20
[[sources]]
name = "drop"
kind = "files"
interval = 30
options = { path = "/srv/drop" }

[playlists.lobby]
pages = ["overview", "feed"]
interval = 20
brand = ["Velora"]
"""
    )
    monkeypatch.setenv("FEEDBACKWALL_CONFIG", str(path))
    s = Settings.load()
    assert s.min_n == 20
    assert s.source("drop") is not None
    assert s.source("drop").options == {"path": "/srv/drop"}
    assert s.playlists["lobby"].pages == ["overview", "feed"]
    assert s.playlists["lobby"].theme == "dark"


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('[[sources]]\nname = "a"\nkind = "ftp"\n', "sources.0.kind"),
        (
            '[[sources]]\nname = "a"\nkind = "files"\n[[sources]]\nname = "a"\nkind = "files"\n',
            "repeated: a",
        ),
        ("[playlists.x]\ninterval = 1\n", "playlists.x.interval"),
        ("min_n = [", "not valid TOML"),
    ],
)
def test_cfg005_bad_toml_names_the_key(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, toml: str, message: str
) -> None:
    path = tmp_path / "wall.toml"
    path.write_text(toml)
    monkeypatch.setenv("FEEDBACKWALL_CONFIG", str(path))
    with pytest.raises(ConfigError, match=message):
        Settings.load()


def test_cfg006_missing_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("FEEDBACKWALL_CONFIG", str(tmp_path / "nope.toml"))
    with pytest.raises(ConfigError, match="FEEDBACKWALL_CONFIG: file not found"):
        Settings.load()


def test_cfg007_alert_rules(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = tmp_path / "wall.toml"
    path.write_text(
        '[[alerts]]\nname = "de"\ncountry = ["DE"]\nwebhook = "https://hooks.example/x"\n'
        'secret = "0123456789abcdef"\n'
    )
    monkeypatch.setenv("FEEDBACKWALL_CONFIG", str(path))
    [rule] = Settings.load().alerts
    assert (rule.min_score, rule.max_score, rule.country) == (0, 6, ["DE"])
    assert Settings.load().alert_horizon_hours == 24  # responses of the last day alert
    monkeypatch.setenv("FEEDBACKWALL_ALERT_HORIZON_HOURS", "2")
    assert Settings.load().alert_horizon_hours == 2
    monkeypatch.setenv("FEEDBACKWALL_ALERT_HORIZON_HOURS", "0")
    with pytest.raises(ConfigError, match="FEEDBACKWALL_ALERT_HORIZON_HOURS"):
        Settings.load()
    monkeypatch.delenv("FEEDBACKWALL_ALERT_HORIZON_HOURS")
    path.write_text('[[alerts]]\nname = "de"\nwebhook = "mailto:x@example.com"\nsecret = "short"\n')
    with pytest.raises(ConfigError, match=r"alerts\.0\.webhook"):
        Settings.load()


README = Path(__file__).resolve().parents[1] / "README.md"
#: Settings that are TOML tables, documented by their table's heading in README.
TABLES = {"sources", "playlists", "alerts", "report"}


def test_cfg008_every_setting_is_documented() -> None:
    """Each setting appears in README: as its FEEDBACKWALL_ variable (or the `_NAME` shorthand
    in a row of several), or, for TOML tables, as ``[name]`` / ``[[name]]``."""
    text = README.read_text(encoding="utf-8")
    undocumented = []
    for name in Settings.model_fields:
        if name in TABLES:
            found = f"[{name}]" in text or f"[[{name}]]" in text or f"[{name}." in text
        else:
            variable = f"FEEDBACKWALL_{name.upper()}"
            found = variable in text or f"`_{name.upper()}`" in text
        if not found:
            undocumented.append(name)
    assert undocumented == []
