"""Celery tasks: thin, idempotent, calling services."""

from celery import shared_task

from . import exports, services
from .models import Letter


@shared_task(name="letters.close_letters_past_deadline")
def close_letters_past_deadline() -> list[int]:
    """Beat, every few minutes: close open letters whose sign-on deadline has passed."""
    return services.close_letters_past_deadline()


@shared_task(name="letters.lift_due_embargoes")
def lift_due_embargoes() -> list[int]:
    """Beat, every few minutes: make public the lists whose notice period has ended."""
    return services.lift_due_embargoes()


@shared_task(name="letters.expire_unconfirmed_signatures")
def expire_unconfirmed_signatures() -> int:
    """Beat, hourly: signatures never confirmed by email expire."""
    return services.expire_unconfirmed_signatures()


@shared_task(name="letters.send_invitation_reminders")
def send_invitation_reminders() -> int:
    """Beat, hourly: one reminder per unanswered invitation, N days before the deadline."""
    return services.send_invitation_reminders()


@shared_task(name="letters.expire_invitations")
def expire_invitations() -> int:
    """Beat, hourly: the invitation links of published letters expire."""
    return services.expire_invitations()


@shared_task(name="letters.purge_invitation_imports")
def purge_invitation_imports() -> int:
    """Beat, hourly: uploaded contact files never confirmed are deleted after a day."""
    return services.purge_stale_imports()


@shared_task(name="letters.send_moderation_digest")
def send_moderation_digest() -> int:
    """Beat, hourly: the moderators' digest, once per MODERATION_DIGEST_HOURS period (the
    dedupe key carries the period, so running twice queues nothing more)."""
    return services.queue_moderation_digests()


@shared_task(name="letters.purge_expired_personal_data")
def purge_expired_personal_data() -> int:
    """Beat, daily: erase signers' and contacts' personal data past the retention period."""
    return services.purge_expired_personal_data().signatures


@shared_task(name="letters.render_letter_pdf", ignore_result=True)  # see outbox.send_emails
def render_letter_pdf(letter_id: int, edition: str, language: str) -> bool:
    """Asked for by letters.dispatch: render one PDF of the letter as it is now and store it
    for the requests (exports.render_stored_pdf). Idempotent: if the stored PDF is already
    that one, nothing is rendered. True if it rendered. A letter deleted since: nothing."""
    letter = Letter.objects.filter(pk=letter_id).first()
    if letter is None:
        return False
    return exports.render_stored_pdf(letter, edition, language)
