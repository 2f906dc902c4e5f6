"""Configuration: the documented order of precedence and the generated secret."""

import re

import pytest

from kiosk import create_app
from kiosk.config import _normalise_db_url
from tests.paths import ROOT


def test_secret_key_is_generated_once_and_reused(tmp_path, monkeypatch):
    monkeypatch.delenv("KIOSK_SECRET_KEY", raising=False)
    first = create_app({"INSTANCE_PATH": str(tmp_path)})
    second = create_app({"INSTANCE_PATH": str(tmp_path)})
    key = first.config["SECRET_KEY"]
    assert len(key) == 64
    assert second.config["SECRET_KEY"] == key
    assert (tmp_path / "secret_key").read_text().strip() == key
    assert oct((tmp_path / "secret_key").stat().st_mode & 0o777) == "0o600"
    assert create_app({"INSTANCE_PATH": str(tmp_path / "other")}).config["SECRET_KEY"] != key


def test_sqlite_in_the_instance_folder_is_the_default(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("KIOSK_SQLALCHEMY_DATABASE_URI", raising=False)
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/kiosk.db"


@pytest.mark.slow  # starts the app in a fresh process, as a deployment does
def test_a_fresh_deployment_with_its_secret_given_gets_its_instance_folder(tmp_path, monkeypatch):
    """KIOSK_SECRET_KEY set and no instance/ yet: the default database must still open."""
    import os
    import subprocess
    import sys

    instance = tmp_path / "not-yet" / "instance"
    env = {**os.environ, "KIOSK_SECRET_KEY": "k" * 64, "KIOSK_INSTANCE_PATH": str(instance)}
    env.pop("DATABASE_URL", None)
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "kiosk", "db", "upgrade"],
                            cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert (instance / "kiosk.db").is_file() and not (instance / "secret_key").exists()


def test_precedence_defaults_instance_env_test(tmp_path, monkeypatch):
    (tmp_path / "config.py").write_text("POLL_SECONDS = 7\nMAX_SESSION_HOURS = 4\nEXTEND_MINUTES = 20\n")
    monkeypatch.setenv("KIOSK_MAX_SESSION_HOURS", "5")
    monkeypatch.setenv("KIOSK_EXTEND_MINUTES", "25")
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db.example/kiosk")
    app = create_app({"INSTANCE_PATH": str(tmp_path), "EXTEND_MINUTES": 30})
    assert app.config["DEFAULT_MEETING_MINUTES"] == 30  # default
    assert app.config["POLL_SECONDS"] == 7  # instance/config.py
    assert app.config["MAX_SESSION_HOURS"] == 5  # environment, parsed as JSON
    assert app.config["EXTEND_MINUTES"] == 30  # test mapping wins
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u:p@db.example/kiosk"


def test_database_urls_go_to_psycopg3():
    assert _normalise_db_url("postgresql://a/b") == "postgresql+psycopg://a/b"
    assert _normalise_db_url("postgres://a/b") == "postgresql+psycopg://a/b"
    assert _normalise_db_url("postgresql+psycopg://a/b") == "postgresql+psycopg://a/b"
    assert _normalise_db_url("sqlite:///x.db") == "sqlite:///x.db"


def test_no_secret_is_written_in_the_code():
    root = ROOT
    for path in [*root.glob("kiosk/**/*.py"), *root.glob("printables/**/*.py"), root / "wsgi.py"]:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"SECRET_KEY[\"']?\]?\s*[=:]\s*[\"']", text), path
