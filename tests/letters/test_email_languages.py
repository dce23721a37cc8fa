"""Emails in their reader's language (issue 14, item 4), without a worker: the outbox rows, and
the messages the locmem mailer received. An invitation is in its own language (a CSV column,
the invite form; empty: the letter's); a signer's emails in the language of the page they
signed on, whoever decides on the signature; an account's emails in the account's language,
whatever page asked for them; and the mail merge of a fan-out is the full rendering, byte for
byte, in every language."""

import datetime as dt
import re

import pytest
from django.conf import settings
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core import mail
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from core.errors import DomainError
from letters import emails, services, tokens
from letters.models import Invitation, Letter, Signature
from outbox.models import OutboundEmail
from outbox.rendering import render_email
from tests.emails import as_sent
from tests.factories import MembershipFactory, UserFactory, make_moderator
from tests.letters.invitation_helpers import (
    LOCMEM_MAILER,
    deliver_outbox,
    invitation_world,
    page_text,
    secret_in,
    upload,
)
from tests.letters.signing_helpers import (
    NEW_ORGANISATION,
    SIGNER_EMAIL,
    emails_of,
    open_mode_letter,
    sign,
    sign_form_data,
)

pytestmark = pytest.mark.django_db

S = Letter.Status
LANGUAGES = [code for code, _name in settings.LANGUAGES]
HEADER = "organisation,contact name,email,based in,language\n"


@pytest.fixture(autouse=True)
def _locmem_mail(settings):
    settings.MAILERS = LOCMEM_MAILER


def translated(language: str, message: str) -> str:
    """`message` in `language`; refuses an untranslated one, which would let English pass."""
    with translation.override(language):
        text = gettext(message)
    assert text != message, f"{message!r} has no {language} translation"
    return text


def sent_message(row: OutboundEmail):
    """The message the locmem mailer received for an outbox row."""
    [message] = [m for m in mail.outbox if m.extra_headers.get("Message-ID") == row.message_id]
    return message


def full_invitation(invitation: Invitation, secret: str) -> object:
    """The invitation email rendered in full, in the invitation's language."""
    return render_email(
        "invitation",
        emails._invitation_context(invitation, secret),
        language=emails.invitation_language(invitation),
    )


# --- The CSV column ------------------------------------------------------------------------------


def test_an_imported_invitation_is_in_the_language_its_row_names(make_letter, owner):
    # Given a letter written in Simplified Chinese, and a file whose language column names a
    # language by its code, its English name, its own name, a region's code, or nothing
    letter = make_letter(S.OPEN, language="zh-hans")
    invitation_import = upload(
        letter,
        owner,
        HEADER
        + "Tibet Action Institute,Pema Dolma,pema@tai.example.org,Dharamsala,bo\n"
        + "Tibet Watch,Lhamo,lhamo@tw.example.org,London,Tibetan\n"
        + "Tibetan Women's Association,Dolkar,dolkar@twa.example.org,,བོད་ཡིག\n"
        + "Uyghur Youth Network,ئايشە,aysha@uyn.example.org,,ئۇيغۇرچە\n"
        + "Hong Kong Democracy Council,陳大文,chan@hkdc.example.org,,zh-TW\n"
        + "Free Tibet,Ana,ana@ft.example.org,,\n"
        + "Rights Asia,Ravi,ravi@ra.example.org,,  english \n",
    )
    assert [row["errors"] for row in invitation_import.rows] == [[]] * 7

    # When the coordinator sends it
    services.confirm_import(invitation_import=invitation_import, actor=owner)

    # Then each invitation, and its email, is in its row's language (empty: the letter's)
    expected = {
        "pema@tai.example.org": "bo",
        "lhamo@tw.example.org": "bo",
        "dolkar@twa.example.org": "bo",
        "aysha@uyn.example.org": "ug",
        "chan@hkdc.example.org": "zh-hant",
        "ana@ft.example.org": "zh-hans",
        "ravi@ra.example.org": "en",
    }
    invitations = Invitation.objects.select_related("outbound_email", "letter")
    assert {i.email: i.language for i in invitations} == expected
    assert {i.email: i.outbound_email.language for i in invitations} == expected
    # ...each one the full rendering in its language (a fan-out merges one per language),
    for invitation in invitations:
        email = invitation.outbound_email
        assert as_sent(email) == full_invitation(invitation, secret_in(email)), invitation.email
    # ...and sent saying so.
    deliver_outbox()
    headers = {m.to[0]: m.extra_headers["Content-Language"] for m in mail.outbox}
    tags = {"zh-hans": "zh-Hans", "zh-hant": "zh-Hant"}
    assert headers == {address: tags.get(code, code) for address, code in expected.items()}
    [uyghur] = [i for i in invitations if i.language == "ug"]
    html = sent_message(uyghur.outbound_email).alternatives[0][0]
    assert translated("ug", "Read and sign") in html


@pytest.mark.parametrize("value", ["klingon", "fr", "Deutsch", "=HYPERLINK(1)"])
def test_a_language_the_site_does_not_have_is_a_row_error_and_invites_nobody(
    open_letter, owner, value
):
    # Given a file with one row in a language the site does not have
    invitation_import = upload(
        open_letter,
        owner,
        HEADER
        + "Tibet Action Institute,Pema Dolma,pema@tai.example.org,,bo\n"
        + f"Free Tibet,Ana,ana@ft.example.org,,{value}\n",
    )

    # Then that row, and only that one, says so
    errors = [row["errors"] for row in invitation_import.rows]
    assert errors[0] == []
    assert errors[1] == [
        f"“{value}” is not a language of the site: use one of en, zh-hans, zh-hant, bo, ug, or "
        "leave it empty."
    ]

    # And sending the file is refused, and changes nothing
    before = invitation_world()
    with pytest.raises(DomainError):
        services.confirm_import(invitation_import=invitation_import, actor=owner)
    assert invitation_world() == before
    assert Invitation.objects.count() == 0
    assert OutboundEmail.objects.count() == 0


def test_correcting_a_rows_language_in_the_preview_clears_its_error(open_letter, owner):
    invitation_import = upload(
        open_letter, owner, HEADER + "Free Tibet,Ana,ana@ft.example.org,,Tibetisch\n"
    )
    assert len(invitation_import.rows[0]["errors"]) == 1

    fixed = services.fix_import_rows(
        invitation_import=invitation_import, actor=owner, changes={2: {"language": "ug"}}
    )
    services.confirm_import(invitation_import=fixed, actor=owner)

    assert Invitation.objects.get().language == "ug"
    assert OutboundEmail.objects.get(kind="invitation").language == "ug"


# --- The invite form -----------------------------------------------------------------------------


def test_the_invite_form_offers_the_letters_language_first(client, make_letter, owner):
    letter = make_letter(S.OPEN, language="bo")
    client.force_login(owner)

    response = client.get(reverse("letters:invitation-create", args=[letter.slug]))

    assert response.status_code == 200
    assert response.context["form"]["language"].value() == "bo"


@pytest.mark.parametrize("language", ["bo", "ug", "zh-hant"])
def test_the_invite_form_sends_the_invitation_in_the_language_chosen(
    client, owner, open_letter, language
):
    client.force_login(owner)

    response = client.post(
        reverse("letters:invitation-create", args=[open_letter.slug]),
        {
            "organisation_name": "Free Tibet",
            "contact_name": "Ana",
            "email": "ana@ft.example.org",
            "language": language,
        },
    )

    assert response.status_code == 302
    invitation = Invitation.objects.get()
    [email] = emails_of("invitation")
    assert (invitation.language, email.language) == (language, language)
    assert as_sent(email) == full_invitation(invitation, secret_in(email))
    assert f"/?lang={language}" in as_sent(email).text


def test_the_invite_form_refuses_a_language_the_site_does_not_have(client, owner, open_letter):
    client.force_login(owner)
    before = invitation_world()

    response = client.post(
        reverse("letters:invitation-create", args=[open_letter.slug]),
        {
            "organisation_name": "Free Tibet",
            "contact_name": "Ana",
            "email": "ana@ft.example.org",
            "language": "fr",
        },
    )

    assert response.status_code == 200
    assert "Select a valid choice. fr is not one of the available choices." in page_text(response)
    assert invitation_world() == before


def test_the_service_refuses_a_language_the_site_does_not_have(open_letter, owner):
    before = invitation_world()

    with pytest.raises(DomainError, match="That language is not available."):
        services.invite(
            letter=open_letter,
            actor=owner,
            email="ana@ft.example.org",
            organisation_name="Free Tibet",
            language="fr",
        )

    assert invitation_world() == before


# --- A signer's emails: the language of the page they signed on -------------------------------------


@pytest.mark.parametrize(
    ("query", "headers"),
    [
        ("?lang=zh-hans", {"HTTP_ACCEPT_LANGUAGE": "en"}),
        ("", {"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9,en;q=0.5"}),
    ],
    ids=["lang-parameter", "accept-language"],
)
def test_a_signature_made_on_the_chinese_page_is_confirmed_in_chinese(
    client, make_letter, query, headers
):
    # Given an English letter open to any organisation
    letter = open_mode_letter(make_letter)
    url = reverse("letters:sign", args=[letter.slug]) + query
    page = client.get(url, **headers)
    assert page["Content-Language"] == "zh-Hans"

    # When someone signs on the page in Simplified Chinese
    response = client.post(url, sign_form_data(), **headers)

    # Then the signature records the page's language
    assert response.status_code == 302
    signature = Signature.objects.get()
    assert signature.language == "zh-hans"
    # And its confirmation is written in Chinese, with links that open the pages in Chinese
    [email] = emails_of("signature_confirm")
    assert email.language == "zh-hans"
    deliver_outbox()
    message = sent_message(email)
    assert message.extra_headers["Content-Language"] == "zh-Hans"
    assert message.subject == translated(
        "zh-hans", "Confirm the signature of %(organisation)s on “%(title)s”"
    ) % {"organisation": NEW_ORGANISATION, "title": letter.title}
    assert (
        translated(
            "zh-hans",
            "You asked to sign “%(title)s” on behalf of %(organisation)s. Please confirm that it "
            "was you:",
        )
        % {"organisation": NEW_ORGANISATION, "title": letter.title}
        in message.body
    )
    assert re.search(r"/letters/signatures/confirm/[^/\s]+/\?lang=zh-hans\n", message.body)
    html = message.alternatives[0][0]
    assert '<html lang="zh-hans" dir="ltr">' in html


def test_a_signature_made_on_the_english_page_is_confirmed_in_english(client, make_letter):
    letter = open_mode_letter(make_letter)

    client.post(
        reverse("letters:sign", args=[letter.slug]),
        sign_form_data(),
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert Signature.objects.get().language == "en"
    [email] = emails_of("signature_confirm")
    assert email.language == "en"
    assert "?lang=" not in as_sent(email).text
    deliver_outbox()
    assert sent_message(email).extra_headers["Content-Language"] == "en"


@pytest.fixture
def english_moderator(db):
    """Staff, in the Moderators group, with 2FA, reading the site in English."""
    return make_moderator(email="mo@undersigned.example.org", is_staff=True, language="en")


def pending_in(letter: Letter, language: str) -> Signature:
    """A confirmed signature awaiting review, made on the page in `language`."""
    signature = sign(letter, language=language)
    return services.confirm_signature(signature=signature)


@pytest.mark.parametrize("language", ["bo", "ug"])
def test_an_approval_from_an_english_moderator_goes_in_the_signers_language(
    client, make_letter, english_moderator, language
):
    # Given a signature made on the page in Tibetan or Uyghur, awaiting review
    signature = pending_in(open_mode_letter(make_letter), language)
    assert signature.status == Signature.Status.PENDING_REVIEW
    client.force_login(english_moderator)

    # When an English-reading moderator approves it in the admin
    response = client.post(
        reverse("admin:letters_pendingsignature_changelist"),
        {"action": "approve_selected", "index": "0", ACTION_CHECKBOX_NAME: [signature.pk]},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    # Then the admin answered in English, and the signer's email is in their language
    assert response.status_code == 302
    assert response["Content-Language"] == "en"
    [email] = emails_of("signature_approved")
    assert email.language == language
    deliver_outbox()
    message = sent_message(email)
    assert message.extra_headers["Content-Language"] == language
    assert message.subject == translated(
        language, "%(organisation)s is now a signatory of “%(title)s”"
    ) % {"organisation": NEW_ORGANISATION, "title": signature.letter.title}
    assert translated(language, "Version signed") in message.body
    assert f"?lang={language}" in message.body


def test_a_rejection_from_an_english_moderator_goes_in_the_signers_language(
    client, make_letter, english_moderator
):
    signature = pending_in(open_mode_letter(make_letter), "bo")
    client.force_login(english_moderator)

    response = client.post(
        reverse("admin:letters_pendingsignature_changelist"),
        {
            "action": "reject_selected",
            ACTION_CHECKBOX_NAME: [signature.pk],
            "apply": "1",
            "reason": Signature.RejectionReason.NOT_AN_ORGANISATION,
            "note": "",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 302
    assert Signature.objects.get().status == Signature.Status.REJECTED
    [email] = emails_of("signature_rejected")
    assert email.language == "bo"
    deliver_outbox()
    message = sent_message(email)
    assert message.extra_headers["Content-Language"] == "bo"
    assert message.subject == translated(
        "bo", "The signature of %(organisation)s on “%(title)s” was not accepted"
    ) % {"organisation": NEW_ORGANISATION, "title": signature.letter.title}
    # The coded reason too: a lazy label, translated when the email is rendered.
    assert translated("bo", "Not an organisation") in message.body
    assert "Not an organisation" not in message.body


def letter_link(text: str, letter: Letter) -> str:
    """The one link to the letter's page in an email's text."""
    base = re.escape(settings.SITE_URL + reverse("letters:detail", args=[letter.slug]))
    [link] = set(re.findall(base + r"[^\s\"<>]*", text))
    return link


def test_a_change_of_visibility_tells_each_reader_in_their_language_with_their_link(
    make_letter, english_moderator
):
    # Given an approved signature made on the Tibetan page, and an admin of its organisation
    # who reads the site in Uyghur
    letter = open_mode_letter(make_letter)
    signature = services.approve_signature(
        signature=pending_in(letter, "bo"), moderator=english_moderator
    )
    admin = UserFactory(email="admin@twa.example.org", language="ug")
    MembershipFactory(organisation=signature.organisation, user=admin, role="admin")

    # When the signer narrows it through the emailed manage link
    services.narrow_visibility(
        signature=signature,
        visibility=Signature.Visibility.RECIPIENT_ONLY,
        show_signer_name=signature.show_signer_name,
    )

    # Then each is told in their own language, the letter's link opening the page in it
    told = {e.to: e for e in emails_of("signature_changed")}
    assert {address: e.language for address, e in told.items()} == {
        SIGNER_EMAIL: "bo",
        "admin@twa.example.org": "ug",
    }
    for address, language in ((SIGNER_EMAIL, "bo"), ("admin@twa.example.org", "ug")):
        link = letter_link(as_sent(told[address]).text, letter)
        assert link.endswith(f"/?lang={language}"), (address, link)


def test_the_publication_email_links_to_the_letter_in_the_signers_language(
    make_letter, owner, english_moderator
):
    letter = open_mode_letter(make_letter)
    services.approve_signature(signature=pending_in(letter, "ug"), moderator=english_moderator)
    services.close_letter(letter=letter, actor=owner)

    services.publish_letter(letter=Letter.objects.get(pk=letter.pk), actor=owner)

    [email] = emails_of("letter_published")
    assert email.language == "ug"
    assert letter_link(as_sent(email).text, letter).endswith("/?lang=ug")


def test_the_embargo_notice_links_to_the_letter_in_the_signers_language(
    make_letter, english_moderator
):
    letter = open_mode_letter(make_letter)
    signature = services.approve_signature(
        signature=pending_in(letter, "bo"), moderator=english_moderator
    )

    emails.embargo_lift_notices(
        [signature], letter=letter, lift_at=timezone.now() + dt.timedelta(days=2)
    )

    [email] = emails_of("embargo_lift_notice")
    assert email.language == "bo"
    assert letter_link(as_sent(email).text, letter).endswith("/?lang=bo")


# --- An account's emails: the account's language ---------------------------------------------------


def test_a_password_reset_reaches_a_tibetan_account_in_tibetan_from_an_english_page(client):
    # Given an account whose chosen language is Tibetan
    user = UserFactory(email="tsering@tibet.example.org", language="bo")

    # When a password reset is asked for from the page in English
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(
            reverse("account_reset_password") + "?lang=en",
            {"email": user.email},
            HTTP_ACCEPT_LANGUAGE="en",
        )

    # Then the page answered in English, and the email is in Tibetan
    assert response.status_code == 302
    assert response["Content-Language"] == "en"
    [email] = OutboundEmail.objects.filter(kind="account/email/password_reset_key")
    assert email.language == "bo"
    [message] = mail.outbox
    assert message.to == [user.email]
    assert message.extra_headers["Content-Language"] == "bo"
    assert message.subject == f"[Undersigned] {translated('bo', 'Password Reset Email')}"
    assert (
        translated(
            "bo",
            "You're receiving this email because you or someone else has requested a password "
            "reset for your user account.\nIt can be safely ignored if you did not request a "
            "password reset. Click the link below to reset your password.",
        )
        in message.body
    )


def test_a_password_reset_for_an_account_without_a_language_is_in_the_pages(client):
    user = UserFactory(email="aysha@udyn.example.org", language="")

    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post(reverse("account_reset_password") + "?lang=ug", {"email": user.email})

    [message] = mail.outbox
    assert message.extra_headers["Content-Language"] == "ug"
    assert message.subject == f"[Undersigned] {translated('ug', 'Password Reset Email')}"


# --- The mail merge, in every language ------------------------------------------------------------

NAMES = [
    ("Pema Dolma", "Tibet Action Institute"),
    ("", "Free Tibet"),
    ('O\'Brien & "Sons" <b>', "Lawyers & Rights <Asia>"),
    ("ཚེ་རིང་", "བོད་ཀྱི་མི་དམངས"),
    ("ئايشە", "ئۇيغۇر ياشلار تورى"),
    ("陳大文", "香港民主委員會"),
]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", ["invitation", "invitation_reminder"])
def test_a_merged_email_is_byte_for_byte_the_full_rendering_in_each_language(
    open_letter, kind, language
):
    # Given the mail merge of the letter's invitations in one language
    merge = emails._MailMerge(kind, open_letter, language)
    for contact, organisation in NAMES:
        invitation = Invitation(
            letter=open_letter,
            contact_name=contact,
            organisation_name=organisation,
            email="x@y.org",
            language=language,
        )
        secret = tokens.invitation_secret(tokens.new_invitation_seed())

        # When one contact's email is merged
        merged = merge.render(invitation, secret)

        # Then it is the email rendered in full in that language, byte for byte
        full = render_email(kind, emails._invitation_context(invitation, secret), language=language)
        assert merged == full, (language, contact)
        assert f'<html lang="{language}" ' in full.html
        if language != settings.LANGUAGE_CODE:
            assert translated(language, "Read and sign") in full.html
            assert f"/invitations/{secret}/?lang={language}" in full.text
        else:
            assert "Read and sign" in full.html
            assert "?lang=" not in full.text
