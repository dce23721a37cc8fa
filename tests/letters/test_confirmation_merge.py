"""The confirmation email of a visitor's submission goes through the mail merge (issue 16):
stored exactly as the email rendered in full and sealed, for every kind of name, visibility and
language, and a kept skeleton carries nothing of the signer it was first made for."""

import json

import pytest

from core.crypto import decrypt_str
from letters import emails, tokens
from letters.models import Signature
from outbox import link_secrets
from outbox.models import OutboundEmail
from outbox.rendering import RenderedEmail, render_email
from tests.letters.signing_helpers import open_mode_letter, sign, verified_organisation

pytestmark = pytest.mark.django_db

SIGNERS = [
    ("Pema Dolma", "Tibet Action Institute"),
    ('O\'Brien & "Sons" <b>', "Lawyers & Rights <Asia>"),
    ("ئايشە", "ئۇيغۇر ياشلار تورى"),
    ("陳大文", "香港民主委員會"),
    ("བཀྲ་ཤིས་", "བོད་ཀྱི་མི་དམངས"),
    ("{{secret:0}} {{secret:", "{{ secret:1}}"),  # placeholder-like text (sealing defuses it)
]
VISIBILITIES = [value for value, _label in Signature.Visibility.choices]


@pytest.fixture(autouse=True)
def _fresh_merges():
    emails._confirmation_merges.clear()
    yield
    emails._confirmation_merges.clear()


@pytest.fixture
def letter(make_letter):
    return open_mode_letter(make_letter)


def _stored(email: OutboundEmail) -> tuple[RenderedEmail, list[str]]:
    secrets = json.loads(decrypt_str(email.link_secrets)) if email.link_secrets else []
    return RenderedEmail(email.subject, email.body_text, email.body_html), secrets


def _in_full(signature: Signature, email: OutboundEmail) -> tuple[RenderedEmail, list[str]]:
    """What the email rendered in full and sealed would be, with the same two links."""
    _stored_email, secrets = _stored(email)
    language = emails.language_of(signature)
    context = emails._confirmation_context(signature, "placeholder")
    for secret in secrets:
        for purpose, name, route in (
            (tokens.CONFIRM, "confirm_url", "letters:signature-confirm"),
            (tokens.MANAGE, "manage_url", "letters:signature-manage"),
        ):
            try:
                tokens.read_signature_token(secret, purpose=purpose)
            except tokens.BadLink:
                continue
            context[name] = emails._url(route, token=secret, language=language)
    full = render_email("signature_confirm", context, language=language)
    return link_secrets.seal(full)


@pytest.mark.parametrize("language", ["en", "zh-hans", "bo", "ug"])
def test_each_signer_s_email_is_stored_as_the_one_rendered_in_full(letter, language):
    number = 0
    for visibility in VISIBILITIES:
        for signer_name, organisation_name in SIGNERS:
            number += 1
            signature = sign(
                letter,
                new_name=organisation_name,
                signer_name=signer_name,
                signer_email=f"signer{number}@merge.example.org",
                visibility=visibility,
                language=language,
            )
            email = OutboundEmail.objects.get(dedupe_key=f"signature:{signature.pk}:confirm")

            stored, secrets = _stored(email)
            expected, expected_secrets = _in_full(signature, email)

            assert stored == expected, (visibility, signer_name)
            assert secrets == expected_secrets
            assert len(secrets) == 2  # the confirm link and the manage link, sealed
            assert not any(s in stored.text + stored.html + stored.subject for s in secrets)
    assert len(emails._confirmation_merges) == len(VISIBILITIES)  # merged, not rendered in full


def test_a_kept_skeleton_holds_nothing_of_the_first_signer(letter):
    first = sign(
        letter,
        new_name="Uyghur Youth Network",
        signer_name="Aynur Tohti",
        signer_email="aynur@first.example.org",
    )
    second = sign(
        letter,
        new_name="Tibet Watch",
        signer_name="Tenzin Norbu",
        signer_email="tenzin@second.example.org",
    )

    email = OutboundEmail.objects.get(dedupe_key=f"signature:{second.pk}:confirm")
    stored, _secrets = _stored(email)
    everything = stored.subject + stored.text + stored.html
    assert "Tenzin Norbu" in everything
    assert "Tibet Watch" in everything
    assert "Aynur" not in everything
    assert "Uyghur Youth Network" not in everything
    assert first.signer_email not in everything


def test_the_links_the_signer_gets_confirm_and_manage_their_own_signature(letter, client):
    signature = sign(letter, signer_name="Pema Dolma", signer_email="pema@links.example.org")
    email = OutboundEmail.objects.get(dedupe_key=f"signature:{signature.pk}:confirm")
    stored, secrets = _stored(email)
    text = link_secrets.fill(stored.text, secrets)

    confirm = tokens.read_signature_token(secrets[0], purpose=tokens.CONFIRM)
    manage = tokens.read_signature_token(secrets[1], purpose=tokens.MANAGE)

    assert confirm.signature_id == manage.signature_id == signature.pk
    assert secrets[0] in text
    assert secrets[1] in text


def test_a_chosen_organisation_is_rendered_in_full(letter):
    """Only a visitor's submission (an organisation typed, awaiting confirmation) is merged."""
    organisation = verified_organisation()
    sign(letter, organisation=organisation, signer_email="someone@elsewhere.example.org")

    assert emails._confirmation_merges == {}


def test_the_kept_skeletons_are_bounded(make_letter):
    for number in range(emails._CONFIRMATION_MERGES_KEPT + 3):
        letter = open_mode_letter(make_letter, title=f"Letter number {number}")
        sign(letter, signer_email=f"signer{number}@bound.example.org")

    assert len(emails._confirmation_merges) == emails._CONFIRMATION_MERGES_KEPT


def test_a_new_title_gets_a_new_skeleton(letter, owner):
    from letters import services

    sign(letter, signer_email="before@title.example.org")
    services.update_letter(letter=letter, actor=owner, title="A title changed since")
    letter.refresh_from_db()
    signature = sign(letter, signer_email="after@title.example.org")

    email = OutboundEmail.objects.get(dedupe_key=f"signature:{signature.pk}:confirm")
    assert "A title changed since" in email.subject
