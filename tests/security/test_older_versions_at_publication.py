"""Issue 11, item 12: a signature is delivered with the version it covers, or left out.

A signer of an older version who never re-confirmed a substantive change used to be delivered,
unmarked, as a signatory of the new text (seen for a counted-only signer: counted in "and N
organisations that cannot be named" with nothing saying they agreed to another text). On the
publish page the coordinator chooses: mark each with the version they signed, or leave out
those who did not re-confirm. The choice holds on every surface: the public list, the counts,
both PDFs, both CSVs, the recipient edition and the embed."""

import re

import pytest
from django.urls import reverse

from core.errors import DomainError
from letters import exports, selectors, services
from letters.models import Letter, LetterDelivery
from letters.selectors import RECIPIENT_EDITION
from outbox.models import OutboundEmail
from outbox.services import address_hash
from tests.publication.conftest import V, body_of, pdf_text, sign_as

S = Letter.Status


@pytest.fixture
def changed(make_letter, owner):
    """Five approved signatures; a substantive change (v2) then a typo fix (v3). Only two
    cover the text delivered: one re-confirmed v2, one signed v3."""
    letter = make_letter(S.OPEN)
    careful = sign_as(letter, "Careful Org", signer_email="careful@careful.example.net")
    sign_as(letter, "Old Public Org", signer_email="oldpublic@old.example.net")
    sign_as(
        letter,
        "Old Recipient Org",
        visibility=V.RECIPIENT_ONLY,
        signer_email="oldrecipient@old.example.net",
    )
    sign_as(
        letter,
        "Old Counted Org",
        visibility=V.COUNTED_ONLY,
        signer_email="oldcounted@old.example.net",
    )
    services.update_letter(
        letter=letter, actor=owner, body="A text that now says something else.", substantive=True
    )
    services.reconfirm_signature(signature=careful, version_number=2)
    services.update_letter(
        letter=letter, actor=owner, body="A text that now says something else, spelt right."
    )
    sign_as(letter, "Late Org", signer_email="late@late.example.net")
    services.close_letter(letter=letter, actor=owner)
    return Letter.objects.get(pk=letter.pk)


def _surfaces(client, letter: Letter) -> dict[str, str]:
    letter = Letter.objects.get(pk=letter.pk)
    return {
        "page": client.get(letter.get_absolute_url()).content.decode(),
        "public_pdf": pdf_text(exports.letter_pdf(letter)),
        "recipient_pdf": pdf_text(exports.letter_pdf(letter, RECIPIENT_EDITION)),
        "public_csv": "".join(exports.public_csv(selectors.public_signatories(letter))),
        "coordinator_csv": "".join(exports.coordinator_csv(letter)),
        "embed": body_of(client.get(reverse("letters:embed", kwargs={"slug": letter.slug}))),
    }


@pytest.mark.django_db
def test_marked_each_surface_says_which_version_was_signed(client, changed, owner):
    services.publish_letter(letter=changed, actor=owner, older_versions="mark")
    seen = _surfaces(client, changed)

    assert re.search(r"Old Public Org</a>.*?signed version 1", seen["page"])
    assert re.search(r"Old Public Org.{0,40}signed version 1", seen["public_pdf"])
    assert re.search(r"Old Recipient Org.{0,60}signed version 1", seen["recipient_pdf"])
    assert re.search(r"Old Public Org,[^\n]*,1\r?\n", seen["public_csv"])
    # The counted-only signer of version 1 is not delivered as a signatory of version 3.
    for surface in ("page", "public_pdf", "public_csv"):
        assert "signed an earlier version" in seen[surface], surface
    assert "Careful Org" in seen["public_csv"]
    # Re-confirmed version 2; version 3 only fixed the spelling: it shows the version it
    # signed (as the page always did), and is never left out.
    assert not re.search(r"Careful Org.{0,40}signed version 1", seen["public_pdf"])


@pytest.mark.django_db
def test_left_out_they_are_on_no_surface_and_in_no_count(client, changed, owner):
    services.publish_letter(letter=changed, actor=owner, older_versions="omit")
    seen = _surfaces(client, changed)

    for surface, text in seen.items():
        for name in ("Old Public Org", "Old Recipient Org", "Old Counted Org"):
            assert name not in text, (surface, name)
        assert "oldcounted@old.example.net" not in text
        assert "cannot be named" not in text, surface
    listed = selectors.public_signatories(Letter.objects.get(pk=changed.pk))
    assert listed.total == 2
    assert "Signed by 2 organisations" in seen["embed"]
    delivery = LetterDelivery.objects.get(letter=changed)
    assert len(delivery.signatories) == 2


@pytest.mark.django_db
def test_left_out_signers_are_told_why(changed, owner):
    services.publish_letter(letter=changed, actor=owner, older_versions="omit")
    left_out = OutboundEmail.objects.get(
        kind="letter_published", to_hash=address_hash("oldcounted@old.example.net")
    )
    assert "not on the letter as delivered" in left_out.body_text
    kept = OutboundEmail.objects.get(
        kind="letter_published", to_hash=address_hash("careful@careful.example.net")
    )
    assert "not on the letter as delivered" not in kept.body_text


@pytest.mark.django_db
def test_an_unknown_choice_is_refused(changed, owner):
    with pytest.raises(DomainError):
        services.publish_letter(letter=changed, actor=owner, older_versions="maybe")
    assert Letter.objects.get(pk=changed.pk).status == S.CLOSED


@pytest.mark.django_db
def test_the_publish_page_offers_the_choice(client, changed, owner):
    client.force_login(owner)
    url = reverse("letters:publish", kwargs={"slug": changed.slug})
    page = client.get(url).content.decode()
    assert 'name="older_versions"' in page
    assert "3" in page  # three signatures do not cover the text delivered
    response = client.post(url, {"older_versions": "omit"})
    assert response.status_code == 302
    assert len(LetterDelivery.objects.get(letter=changed).signatories) == 2


@pytest.mark.django_db
def test_by_default_the_counted_only_signer_of_an_old_text_is_not_delivered_unmarked(
    client, changed, owner
):
    services.publish_letter(letter=changed, actor=owner)  # today's call: marks by default
    seen = _surfaces(client, changed)
    assert "signed an earlier version" in seen["public_csv"]
    assert "signed an earlier version" in seen["public_pdf"]
