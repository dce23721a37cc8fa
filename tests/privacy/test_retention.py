"""Issue 12, item 3: personal data is erased SIGNER_CONTACT_RETENTION_DAYS after a letter
closes (or is delivered), as the privacy page promises; organisations and counts stay."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from letters.models import Letter, Signature
from letters.services import purge_expired_personal_data
from tests.factories import LetterFactory, OrganisationFactory, SignatureFactory

pytestmark = pytest.mark.django_db


def _closed_letter(days_ago: int) -> Letter:
    letter = LetterFactory(status=Letter.Status.CLOSED)
    letter.closed_at = timezone.now() - timedelta(days=days_ago)
    letter.save(update_fields=["closed_at"])
    return letter


def _dump(letter: Letter) -> list[tuple]:
    return [
        (s.pk, s.status, s.signer_name, s.signer_title, s.signer_email,
         s.proposed_organisation_name, s.rejection_note, s.organisation_id)
        for s in Signature.objects.filter(letter=letter).order_by("pk")
    ]  # fmt: skip


def _signatures(letter: Letter) -> tuple[Signature, Signature]:
    org = OrganisationFactory()
    ok = SignatureFactory(
        letter=letter, organisation=org, approved=True,
        signer_name="Amina Q", signer_email="amina@example.org", signer_title="Director",
    )  # fmt: skip
    bad = SignatureFactory(
        letter=letter, organisation=None, expired=True, proposed_organisation_name="Typed Org",
        signer_name="Bob R", signer_email="bob@example.org",
    )  # fmt: skip
    return ok, bad


def test_purge_erases_personal_data_after_the_period_and_is_idempotent():
    letter = _closed_letter(days_ago=1)
    ok, bad = _signatures(letter)
    later = timezone.now() + timedelta(days=settings.SIGNER_CONTACT_RETENTION_DAYS + 1)

    report = purge_expired_personal_data(now=later)
    assert report.signatures == 2

    ok.refresh_from_db()
    bad.refresh_from_db()
    assert "amina" not in ok.signer_email
    assert ok.signer_name != "Amina Q"
    assert ok.organisation_id is not None
    assert ok.status == Signature.Status.APPROVED
    assert ok.version_hash
    assert bad.signer_email != "bob@example.org"
    assert bad.signer_name == ""
    assert bad.proposed_organisation_name == ""
    assert ok.personal_data_erased_at is not None
    before = _dump(letter)
    assert purge_expired_personal_data(now=later).signatures == 0
    assert _dump(letter) == before


def test_dry_run_changes_nothing_and_recent_letters_are_untouched():
    old = _closed_letter(days_ago=settings.SIGNER_CONTACT_RETENTION_DAYS + 5)
    _signatures(old)
    recent = _closed_letter(days_ago=1)
    _signatures(recent)
    open_letter = LetterFactory()
    _signatures(open_letter)
    dumps = [_dump(x) for x in (old, recent, open_letter)]

    report = purge_expired_personal_data(dry_run=True)
    assert report.signatures == 2
    assert [_dump(x) for x in (old, recent, open_letter)] == dumps

    purge_expired_personal_data()
    assert _dump(recent) == dumps[1]
    assert _dump(open_letter) == dumps[2]
    assert _dump(old) != dumps[0]


def test_command_dry_run_prints_counts_without_emails(capsys):
    from django.core.management import call_command

    old = _closed_letter(days_ago=settings.SIGNER_CONTACT_RETENTION_DAYS + 5)
    _signatures(old)
    before = _dump(old)
    call_command("purge_personal_data", "--dry-run")
    out = capsys.readouterr().out
    assert "2" in out
    assert "example.org" not in out
    assert _dump(old) == before


def test_beat_task_purges():
    from letters.tasks import purge_expired_personal_data as task

    old = _closed_letter(days_ago=settings.SIGNER_CONTACT_RETENTION_DAYS + 5)
    _signatures(old)
    assert task() == 2
    assert "retention" in str(settings.CELERY_BEAT_SCHEDULE)


def test_privacy_page_states_the_real_periods(client, settings):
    settings.SIGNER_CONTACT_RETENTION_DAYS = 123
    settings.INVITATION_IMPORT_KEEP_HOURS = 31
    settings.SIGNATURE_CONFIRMATION_DAYS = 9
    html = client.get("/privacy/").content.decode()
    assert "123 days" in html
    assert "31 hours" in html
    assert "9 days" in html


def test_a_name_the_signer_chose_to_show_publicly_stays_but_not_the_email():
    letter = _closed_letter(days_ago=settings.SIGNER_CONTACT_RETENTION_DAYS + 5)
    shown = SignatureFactory(
        letter=letter, organisation=OrganisationFactory(), approved=True, show_signer_name=True,
        signer_name="Carla S", signer_title="Chair", signer_email="carla@example.org",
    )  # fmt: skip
    purge_expired_personal_data()
    shown.refresh_from_db()
    assert shown.signer_name == "Carla S"
    assert shown.signer_title == "Chair"
    assert shown.signer_email == ""
