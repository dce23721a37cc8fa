"""Celery tasks: thin, idempotent, calling services."""

from celery import shared_task

from . import services


@shared_task(name="letters.close_letters_past_deadline")
def close_letters_past_deadline() -> list[int]:
    """Beat, every few minutes: close open letters whose sign-on deadline has passed."""
    return services.close_letters_past_deadline()


@shared_task(name="letters.expire_unconfirmed_signatures")
def expire_unconfirmed_signatures() -> int:
    """Beat, hourly: signatures never confirmed by email expire."""
    return services.expire_unconfirmed_signatures()
