"""Django's error reports to ADMINS, through the outbox (settings.LOGGING's mail_admins handler).

Django's own handler sends from the failing request: an SMTP server that hangs would hang the
500 page too, and a refused report would be lost. Here the report is a row per admin, sent by
the worker and retried like any email.
"""

import threading

from django.conf import settings
from django.utils import log, timezone
from django.utils.crypto import salted_hmac

# The report being queued, per thread: an error while queueing it (the broker is down: Django
# logs the failed on_commit at ERROR) must not report itself, endlessly. The console has it.
_queueing = threading.local()


class AdminEmailHandler(log.AdminEmailHandler):
    def emit(self, record) -> None:
        if not settings.ADMINS or getattr(_queueing, "active", False):
            return
        _queueing.active = True
        try:
            super().emit(record)
        except Exception:  # the database is down: the console has the error, the request its 500
            self.handleError(record)
        finally:
            _queueing.active = False

    def send_mail(self, subject: str, message: str, *args, html_message=None, **kwargs) -> None:
        queue_error_report(subject=subject, text=message, html=html_message or "")


def queue_error_report(*, subject: str, text: str, html: str = "") -> None:
    """One row per address in ADMINS. The same report within a minute is queued once (an
    error on every request of a busy page is one email a minute, not thousands)."""
    # Imported here: logging is configured before the app registry is ready.
    from .rendering import RenderedEmail
    from .services import queue_email

    subject = f"{settings.EMAIL_SUBJECT_PREFIX}{subject}"[:300]
    minute = timezone.now().strftime("%Y-%m-%dT%H:%M")
    for admin in settings.ADMINS:
        address = admin if isinstance(admin, str) else admin[1]  # ("name", address) before 6.0
        content = "\0".join([address.lower(), subject, text, html, minute])
        digest = salted_hmac("outbox.error_reports", content, algorithm="sha256").hexdigest()
        queue_email(
            kind="error_report",
            to=address,
            context={},
            dedupe_key=f"error-report:{digest[:40]}",
            rendered=RenderedEmail(subject=subject, text=text.strip() + "\n", html=html),
        )
