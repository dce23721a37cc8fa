"""Issue 11: without a real mail setting, production must not start: the console backend
would print password-reset links into the server's log."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def start(**overrides: str) -> subprocess.CompletedProcess:
    env = {
        key: value
        for key, value in os.environ.items()
        if key
        not in {
            "EMAIL_URL",
            "DEBUG",
            "DJANGO_SETTINGS_MODULE",
            "FIELD_ENCRYPTION_KEYS",
            "FIELD_INDEX_KEY",
        }
    }
    env |= {
        "DEBUG": "0",
        "SECRET_KEY": "x" * 60,
        "FIELD_ENCRYPTION_KEYS": "eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHg=",
        "FIELD_INDEX_KEY": "i" * 40,
        "ALLOWED_HOSTS": "undersigned.example.org",
        "SITE_URL": "https://undersigned.example.org",
        "DATABASE_URL": "sqlite:////tmp/undersigned-mail-setting.sqlite3",
    } | overrides
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("email_url", [None, "consolemail://"])
def test_production_refuses_to_start_without_a_real_mail_setting(email_url):
    overrides = {} if email_url is None else {"EMAIL_URL": email_url}

    result = start(**overrides)

    assert result.returncode != 0
    assert "EMAIL_URL" in result.stderr


def test_production_starts_with_an_smtp_server():
    result = start(EMAIL_URL="smtp+tls://mail.example.org:587")

    assert result.returncode == 0, result.stderr
