"""Django's error reports to ADMINS go through the outbox: queued by the failing request, sent by
the worker, never from the request itself."""

import logging

import pytest
from django.core import mail
from django.test import Client
from kombu.exceptions import OperationalError

from outbox import dispatch
from outbox.error_reports import queue_error_report
from outbox.models import OutboundEmail

ADMIN = "ops@undersigned.example.org"


@pytest.fixture
def admins(settings):
    settings.ADMINS = [("Undersigned admins", ADMIN)]  # the form config/settings.py uses
    settings.DEBUG = False


@pytest.mark.django_db
@pytest.mark.urls("tests.accounts.error_urls")
def test_a_500_queues_the_report_and_the_request_sends_nothing(
    admins, django_capture_on_commit_callbacks
):
    client = Client(raise_request_exception=False)

    with django_capture_on_commit_callbacks() as callbacks:
        response = client.get("/test-errors/broken/")

    assert response.status_code == 500
    report = OutboundEmail.objects.get()
    assert (report.kind, report.to, report.status) == ("error_report", ADMIN, "queued")
    assert report.subject == (
        "[Django] ERROR (EXTERNAL IP): Internal Server Error: /test-errors/broken/"
    )
    assert "RuntimeError at /test-errors/broken/\na bug\n" in report.body_text
    assert mail.outbox == []
    assert len(callbacks) == 1  # handed to the worker when the transaction commits


@pytest.mark.django_db
def test_the_same_report_within_a_minute_is_queued_once(settings):
    settings.ADMINS = [ADMIN, "second@undersigned.example.org"]

    for _ in range(3):
        queue_error_report(subject="ERROR: Internal Server Error: /x", text="Traceback ...")
    queue_error_report(subject="ERROR: Internal Server Error: /y", text="Traceback ...")

    assert sorted(OutboundEmail.objects.values_list("to", "subject")) == [
        (ADMIN, "[Django] ERROR: Internal Server Error: /x"),
        (ADMIN, "[Django] ERROR: Internal Server Error: /y"),
        ("second@undersigned.example.org", "[Django] ERROR: Internal Server Error: /x"),
        ("second@undersigned.example.org", "[Django] ERROR: Internal Server Error: /y"),
    ]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_dead_broker_does_not_make_the_report_report_itself(admins, monkeypatch, caplog):
    # Given a broker that refuses connections: enqueueing the report fails, and Django logs
    # that failure at ERROR under the "django" logger, which this handler listens to
    def broker_down(*args, **kwargs):
        raise OperationalError("Connection refused.")

    monkeypatch.setattr(dispatch.send_emails, "apply_async", broker_down)

    # When an error is logged outside any transaction (the enqueue runs at once)
    logging.getLogger("django.request").error("Internal Server Error: /x")

    # Then one report is queued (the sweeper sends it later) and the failure is only logged
    assert list(OutboundEmail.objects.values_list("kind", "status")) == [("error_report", "queued")]
    assert "Connection refused." in caplog.text
