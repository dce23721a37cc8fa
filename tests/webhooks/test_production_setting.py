"""WEBHOOKS_ALLOW_LOOPBACK exists for the tests' receiver: with DEBUG off, the environment
cannot turn it on, and a destination resolving to 127.0.0.1 is refused."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
from django.conf import settings
from webhooks import destinations
print("allow_loopback", settings.WEBHOOKS_ALLOW_LOOPBACK)
for url in ("https://localhost/hook", "http://127.0.0.1:8080/hook"):
    try:
        destinations.resolve(url)
    except destinations.ForbiddenDestination:
        print("refused", url)
"""


def test_production_settings_refuse_loopback_even_when_asked():
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "DJANGO_SETTINGS_MODULE", "FIELD_ENCRYPTION_KEYS", "FIELD_INDEX_KEY"}
    } | {
        "DEBUG": "0",
        "WEBHOOKS_ALLOW_LOOPBACK": "1",
        "SECRET_KEY": "x" * 60,
        "FIELD_ENCRYPTION_KEYS": "eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHg=",
        "FIELD_INDEX_KEY": "i" * 40,
        "ALLOWED_HOSTS": "undersigned.example.org",
        "SITE_URL": "https://undersigned.example.org",
        "DATABASE_URL": "sqlite:////tmp/undersigned-webhooks-setting.sqlite3",
        "EMAIL_URL": "smtp+tls://mail.example.org:587",
    }

    result = subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, "manage.py", "shell", "-c", PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    lines = [
        line
        for line in result.stdout.splitlines()
        if line and not line.endswith("(use -v 2 for details).")
    ]
    assert lines == [
        "allow_loopback False",
        "refused https://localhost/hook",
        "refused http://127.0.0.1:8080/hook",
    ]
