"""Handing a task to the broker from the request path without ever failing or hanging on it.

The database is the record of what is to be done (the outbox's queued rows; a letter's PDF
still to render) and a sweeper finds work whose message never reached a worker, so a message
that cannot be published is delayed work, never lost work: `publish` reports it and returns.
While Redis is known to be down in this process (core.cache's breaker), it does not even try:
a hung Redis would otherwise cost every request the broker's socket timeout.
"""

import logging
from typing import Any

from celery import Task

from .cache import breaker, redis_unavailable

logger = logging.getLogger(__name__)


def _broker_errors() -> tuple[type[BaseException], ...]:
    import redis
    from kombu.exceptions import OperationalError

    return (
        OperationalError,
        redis.exceptions.ConnectionError,
        redis.exceptions.TimeoutError,
        OSError,
    )


def publish(task: Task, args: tuple | list = (), **options: Any) -> bool:
    """task.apply_async(args, **options); False, logged, when the broker cannot take it.

    In-process (eager) tasks run at once, and their errors propagate as usual."""
    if task.app.conf.task_always_eager:
        task.apply_async(args, **options)
        return True
    if redis_unavailable():
        logger.info("broker skipped (Redis is down): %s waits for its sweeper", task.name)
        return False
    try:
        task.apply_async(args, retry=False, **options)
    except _broker_errors() as exc:
        breaker.trip(exc)
        logger.warning(
            "broker unreachable (%s): %s waits for its sweeper", type(exc).__name__, task.name
        )
        return False
    return True
