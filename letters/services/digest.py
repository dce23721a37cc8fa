"""The moderators' digest: how many signatures await review, per letter."""

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.roles import MODERATORS

from .. import emails, selectors


def digest_period(now: dt.datetime) -> int:
    """The number of the current digest period (MODERATION_DIGEST_HOURS long, since the
    epoch): a moderator gets at most one digest per period, however often beat runs."""
    return int(now.timestamp() // (settings.MODERATION_DIGEST_HOURS * 3600))


@transaction.atomic(durable=True)
def queue_moderation_digests(*, now: dt.datetime | None = None) -> int:
    """Queue one digest per active moderator for this period; none when the queue is empty.
    Returns how many were queued now (0 on a second run in the same period)."""
    now = now or timezone.now()
    letters = list(selectors.awaiting_review_by_letter())
    if not letters:
        return 0
    moderators = list(
        User.objects.filter(is_active=True, groups__name=MODERATORS).distinct().order_by("pk")
    )
    return len(emails.moderation_digests(moderators, letters, period=digest_period(now)))
