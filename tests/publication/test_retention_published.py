"""Issue 12, item 3, on a letter really published: past SIGNER_CONTACT_RETENTION_DAYS after its
delivery the purge erases the signers' contact details, and the published page, its counts and
the delivery record are exactly what they were; a second run changes nothing."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from letters import selectors, services
from letters.models import Letter, LetterDelivery, Signature
from tests.factories import OrganisationFactory, SignatureFactory

V = Signature.Visibility
pytestmark = pytest.mark.django_db


@pytest.fixture
def published(make_letter, owner) -> Letter:
    letter = make_letter(Letter.Status.CLOSED)
    for n, (visibility, show_name) in enumerate(
        [(V.PUBLIC, True), (V.PUBLIC, False), (V.RECIPIENT_ONLY, False), (V.COUNTED_ONLY, False)]
    ):
        SignatureFactory(
            letter=letter, organisation=OrganisationFactory(name=f"Signatory {n}"),
            approved=True, visibility=visibility, show_signer_name=show_name,
            signer_name=f"Signer {n}", signer_title="Director", signer_email=f"s{n}@example.org",
        )  # fmt: skip
    SignatureFactory(letter=letter, rejected=True, signer_email="r@example.org")
    services.publish_letter(letter=letter, actor=owner)
    return Letter.objects.get(pk=letter.pk)


def public_page(letter: Letter) -> bytes:
    return Client().get(letter.get_absolute_url()).content


def test_the_published_page_counts_and_delivery_record_survive_the_purge(published):
    page_before = public_page(published)
    counts_before = selectors.signature_counts(published)
    delivery_before = list(LetterDelivery.objects.filter(letter=published).values())
    later = published.published_at + dt.timedelta(days=181)

    first = services.purge_expired_personal_data(now=later)
    second = services.purge_expired_personal_data(now=later + dt.timedelta(days=1))

    assert first.signatures == 5
    assert second.signatures == 0
    signatures = list(Signature.objects.filter(letter=published).order_by("pk"))
    assert all(s.signer_email == "" for s in signatures)
    # Only the name a signer chose to show on the public list stays, as it was published
    assert [s.signer_name for s in signatures if s.signer_name] == ["Signer 0"]
    from django.core.cache import cache

    cache.clear()  # the page is rendered afresh from what is left
    assert public_page(published) == page_before
    assert selectors.signature_counts(published) == counts_before
    assert list(LetterDelivery.objects.filter(letter=published).values()) == delivery_before


def test_nothing_is_erased_before_the_period_ends(published):
    before = [(s.signer_name, s.signer_email) for s in Signature.objects.order_by("pk")]

    report = services.purge_expired_personal_data(now=timezone.now() + dt.timedelta(days=179))

    assert report.signatures == 0
    assert [(s.signer_name, s.signer_email) for s in Signature.objects.order_by("pk")] == before


def test_the_copies_of_the_emails_sent_to_an_erased_signer_go_too(published):
    from outbox.models import OutboundEmail

    sent = OutboundEmail.objects.create(
        kind="signature_confirm", to="s1@example.org", subject="Confirm Signatory 1",
        body_text="Hello Signer 1", dedupe_key="test:s1", message_id="<m1@x>",
        status=OutboundEmail.Status.SENT, sent_at=timezone.now(),
        last_error="",
    )  # fmt: skip
    queued = OutboundEmail.objects.create(
        kind="other", to="s1@example.org", subject="s", body_text="b", dedupe_key="test:q",
        message_id="<m2@x>",
    )  # fmt: skip

    services.purge_expired_personal_data(now=published.published_at + dt.timedelta(days=181))

    sent.refresh_from_db()
    queued.refresh_from_db()
    assert (sent.to, sent.to_hash, sent.subject, sent.body_text) == ("", "", "", "")
    assert (sent.kind, sent.status, sent.message_id) == ("signature_confirm", "sent", "<m1@x>")
    assert queued.to == "s1@example.org"  # not sent yet: left to be sent
