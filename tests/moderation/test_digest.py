"""The moderators' digest: how many signatures await review per letter, once a period, none
when the queue is empty."""

import datetime as dt

import pytest
from django.conf import settings
from django.utils import timezone

from letters import services, tasks
from letters.models import Signature
from letters.services.digest import digest_period
from tests.factories import UserFactory, make_moderator

from .conftest import bulk_pending, emails_of

pytestmark = pytest.mark.django_db

NOON = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)


def test_no_digest_when_nothing_awaits_review(moderator, letter):
    assert tasks.send_moderation_digest() == 0
    assert emails_of("moderation_digest") == []


def test_each_moderator_gets_the_counts_per_letter(
    moderator, second_moderator, letter, other_letter
):
    # Given three signatures awaiting review on one letter and one on another, plus a
    # decided one (not counted), and a staff user who is not a moderator
    bulk_pending(letter, 3)
    ids = bulk_pending(other_letter, 2, prefix="Other Organisation")
    Signature.objects.filter(pk=ids[0]).update(status=Signature.Status.APPROVED)
    UserFactory(email="staff@undersigned.example.org", is_staff=True)

    queued = tasks.send_moderation_digest()

    digests = emails_of("moderation_digest")
    assert queued == 2
    assert sorted(e.to for e in digests) == [
        "moderator@undersigned.example.org",
        "second@undersigned.example.org",
    ]
    email = digests[0]
    assert email.subject == "4 signatures await review"
    text = email.body_text
    assert "4 signatures await review:" in text
    assert "- Raise human rights in Beijing: 3" in text
    assert "- Free the Hong Kong 47: 1" in text
    queue = f"{settings.SITE_URL}/admin/letters/pendingsignature/"
    assert f"{queue}?letter={letter.pk}" in text
    assert f"{queue}?letter={other_letter.pk}" in text
    # The digest names no signer and no organisation
    assert "example.net" not in text
    assert "Bulk Organisation" not in text


def test_one_digest_per_period_however_often_beat_runs(moderator, letter, settings):
    settings.MODERATION_DIGEST_HOURS = 24
    bulk_pending(letter, 1)

    first = services.queue_moderation_digests(now=NOON)
    again = services.queue_moderation_digests(now=NOON + dt.timedelta(hours=11))
    next_day = services.queue_moderation_digests(now=NOON + dt.timedelta(hours=12, minutes=1))

    assert (first, again, next_day) == (1, 0, 1)
    assert [e.dedupe_key for e in emails_of("moderation_digest")] == [
        f"moderation-digest:{moderator.pk}:{digest_period(NOON)}",
        f"moderation-digest:{moderator.pk}:{digest_period(NOON) + 1}",
    ]


def test_the_period_follows_the_setting(settings):
    settings.MODERATION_DIGEST_HOURS = 6

    assert digest_period(NOON) == digest_period(NOON + dt.timedelta(hours=5, minutes=59))
    assert digest_period(NOON + dt.timedelta(hours=6)) == digest_period(NOON) + 1


def test_an_inactive_moderator_gets_none(letter):
    make_moderator(email="gone@undersigned.example.org", is_staff=True, is_active=False)
    bulk_pending(letter, 1)

    assert services.queue_moderation_digests(now=timezone.now()) == 0


def test_beat_runs_the_digest_hourly():
    assert settings.CELERY_BEAT_SCHEDULE["send-moderation-digest"] == {
        "task": "letters.send_moderation_digest",
        "schedule": 3600,
    }
    assert tasks.send_moderation_digest.name == "letters.send_moderation_digest"
