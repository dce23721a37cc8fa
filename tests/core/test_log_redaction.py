"""Issue 12: no log line at INFO or above holds an email address, a token or a link with a
token. The project's real LOGGING configuration is used; its console handler is pointed at a
buffer for the test."""

import io
import logging
import logging.config
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

SECRET = "Zm9vYmFyYmF6cXV4LXNlY3JldC10b2tlbi12YWx1ZQ"


@pytest.fixture
def log_lines():
    # The project's configuration, afresh: a Celery worker started by an earlier test in
    # this process replaces the root logger's handlers with its own.
    logging.config.dictConfig(django_settings.LOGGING)
    console = next(h for h in logging.getLogger().handlers if h.name == "console")
    buffer = io.StringIO()
    previous = console.setStream(buffer)
    try:
        yield buffer
    finally:
        console.setStream(previous)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        reverse("letters:signature-confirm", args=[SECRET]),
        reverse("letters:signature-manage", args=[SECRET]),
        reverse("letters:sign-invitation", args=[SECRET]),
        f"/accounts/password/reset/key/1-{SECRET}/",
        f"/no-such-page/?token={SECRET}&email=someone%40ngo.example.org",
    ],
)
def test_a_refused_link_is_logged_without_its_secret(client, log_lines, path):
    client.get(path)

    logged = log_lines.getvalue()
    assert SECRET not in logged
    assert "someone" not in logged


def test_an_email_address_in_any_log_message_is_masked(log_lines):
    logging.getLogger("outbox.services").warning(
        "email %s failed for good: %s",
        7,
        "SMTPRecipientsRefused: {'bob@uyghur.example.org': "
        "(550, b'5.1.1 <bob@uyghur.example.org>: Recipient address rejected')}",
    )

    logged = log_lines.getvalue()
    assert "bob@uyghur.example.org" not in logged
    assert "email 7 failed for good" in logged
    assert "Recipient address rejected" in logged


def test_an_exception_message_is_masked_too(log_lines):
    try:
        raise ValueError("duplicate key (email)=(signer@tibet.example.org)")
    except ValueError:
        logging.getLogger("letters").exception("could not save")

    logged = log_lines.getvalue()
    assert "signer@tibet.example.org" not in logged
    assert "could not save" in logged
    assert "ValueError" in logged


def test_the_celery_worker_logs_are_redacted_too():
    """A worker replaces the root logger's handlers with its own (worker_hijack_root_logger):
    the redaction is added to those as well. The worker's logging set-up runs in a process
    of its own, as `celery worker` does it."""
    script = (
        "import django, logging; django.setup()\n"
        "from config.celery import app\n"
        "app.log.setup(loglevel='INFO', redirect_stdouts=False, colorize=False)\n"
        "logging.getLogger('outbox.services').warning('refused: bob@uyghur.example.org')\n"
    )
    result = subprocess.run(  # noqa: S603 - a fixed script, this interpreter
        [sys.executable, "-c", script],
        cwd=Path(__file__).resolve().parents[2],
        env=os.environ | {"DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert "refused: <email>" in result.stderr, result.stderr
    assert "bob@uyghur.example.org" not in result.stderr


def test_a_slug_is_not_taken_for_a_secret():
    from core.logging import redact

    line = "GET /letters/raise-human-rights-at-the-beijing-talks/leads/?q=ti"

    assert redact(line) == line
