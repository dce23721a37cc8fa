"""The Celery app. Settings come from Django's settings under the CELERY_ namespace."""

import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("undersigned")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="config.ping")
def ping() -> str:
    """A round trip through broker, worker and result backend (health checks, tests)."""
    return "pong"


@signals.after_setup_logger.connect
@signals.after_setup_task_logger.connect
def redact_worker_logs(logger, **kwargs) -> None:
    """A worker replaces the root logger's handlers with its own; they get the same
    redaction as the web's console handler (core/logging.py)."""
    from core.logging import RedactSecrets

    for handler in logger.handlers:
        if not any(isinstance(f, RedactSecrets) for f in handler.filters):
            handler.addFilter(RedactSecrets())
