"""The accounts app's periodic work (config.settings.CELERY_BEAT_SCHEDULE)."""

from celery import shared_task

from . import services


@shared_task(name="accounts.purge_decided_coordinator_requests")
def purge_decided_coordinator_requests() -> int:
    """Beat, daily: delete requests to coordinate decided longer ago than the privacy page
    says they are kept."""
    return services.purge_decided_coordinator_requests()
