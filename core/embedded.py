"""The embedded default's periodic work: Celery beat's schedule, run in the web process.

`make run` has no broker and no beat: tasks run in-process (CELERY_TASK_ALWAYS_EAGER). Without
this, nothing would close letters at their deadline, send reminders, sweep the outbox or
purge expired data (issue 13). A daemon thread of the serving process runs every entry of
CELERY_BEAT_SCHEDULE at its interval — the same tasks, the same schedule as beat — starting
with one run of each at start-up, as beat does. Every periodic task is idempotent, so a run
that overlaps a request's own work is harmless.

Started by CoreConfig.ready when EMBEDDED_SCHEDULER is on (make run sets it) and the process
serves requests (runserver's child, not the autoreloader's watcher, not other commands).
"""

import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import close_old_connections

logger = logging.getLogger(__name__)

TICK_SECONDS = 1.0

_started = threading.Event()
# Work a request hands off instead of doing itself (a PDF to render), one job at a time.
_background = ThreadPoolExecutor(max_workers=1, thread_name_prefix="embedded-worker")


def should_start(argv: list[str] | None = None) -> bool:
    argv = sys.argv if argv is None else argv
    if not getattr(settings, "EMBEDDED_SCHEDULER", False):
        return False
    if len(argv) < 2 or argv[1] != "runserver":
        return False
    # Under the autoreloader the serving process is the child (RUN_MAIN=true).
    return "--noreload" in argv or os.environ.get("RUN_MAIN") == "true"


def run_due(schedule: dict[str, dict], next_run: dict[str, float], now: float) -> list[str]:
    """Run the entries that are due (in this thread, eagerly); returns the names run."""
    from config.celery import app

    ran = []
    for name, entry in schedule.items():
        if next_run.get(name, 0.0) > now:
            continue
        next_run[name] = now + float(entry["schedule"])
        task = app.tasks.get(entry["task"])
        if task is None:
            logger.error("embedded scheduler: no task %s", entry["task"])
            continue
        try:
            task.apply(args=entry.get("args", ()), kwargs=entry.get("kwargs", {}), throw=True)
        except Exception:
            logger.exception(
                "embedded scheduler: %s failed; it runs again in %ss", name, entry["schedule"]
            )
        ran.append(name)
    return ran


def _loop() -> None:
    from config.celery import app

    # Registers every app's tasks (autodiscovery is lazy: a worker does this at start-up).
    app.loader.import_default_modules()
    schedule = dict(settings.CELERY_BEAT_SCHEDULE)
    logger.warning("embedded scheduler: %d periodic tasks run in this process", len(schedule))
    next_run: dict[str, float] = {}
    while True:
        if run_due(schedule, next_run, time.monotonic()):
            close_old_connections()  # this thread's connection, as a request's end would
        time.sleep(TICK_SECONDS)


def start() -> bool:
    """Start the scheduler thread once per process; False if it was already running."""
    if _started.is_set():
        return False
    _started.set()
    threading.Thread(target=_loop, name="embedded-scheduler", daemon=True).start()
    return True


def submit(job: Callable[[], object]) -> None:
    """Run `job` in the embedded worker thread (`make run`'s stand-in for a Celery worker)."""

    def run() -> None:
        try:
            job()
        finally:
            close_old_connections()

    _background.submit(run)
