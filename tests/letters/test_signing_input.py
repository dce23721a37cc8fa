"""What people type into the sign form: every script is welcome; control characters, markup,
bidirectional overrides and emoji are refused with a clear error, and nothing is saved."""

import html

import pytest
from django.urls import reverse

from letters import services
from letters.models import Letter, Signature
from organisations.models import Organisation
from outbox.models import OutboundEmail
from tests.letters.signing_helpers import (
    open_mode_letter,
    sign_form_data,
    text_of,
    world,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def letter(make_letter) -> Letter:
    return open_mode_letter(make_letter)


def _post(client, letter, **overrides):
    return client.post(reverse("letters:sign", args=[letter.slug]), sign_form_data(**overrides))


# Each bad value, the field it goes in, and the error code the form must give.
TEXT_FIELDS = {
    "organisation_name": 200,
    "based_in": 100,
    "signer_name": 150,
    "signer_title": 150,
}
BAD_TEXT = [
    ("bell", "Tibet\x07Watch", "control"),
    ("escape", "Tibet \x1b[31mWatch", "control"),
    ("delete", "Tibet\x7fWatch", "control"),
    ("c1 control", "Tibet\x9bWatch", "control"),
    ("null", "Tibet\x00Watch", ("control", "null_characters_not_allowed")),
    ("html", "<b>x</b>", "markup"),
    ("script", "Tibet <script>alert(1)</script>", "markup"),
    ("bidi override", "Tibet \u202eWatch", "bidi_control"),
    ("bidi embedding", "\u202bTibet Watch", "bidi_control"),
    ("bidi isolate", "Tibet \u2066Watch\u2069", "bidi_control"),
    ("emoji", "Tibet Watch 🙂", "emoji"),
    ("dingbat", "Tibet ✊ Watch", "emoji"),
    ("flag", "Tibet Watch 🇨🇳", "emoji"),
    ("zero width space", "Tibet\u200bWatch", "format"),
    ("private use", "Tibet\ue000Watch", "format"),
]
CASES = (
    [
        pytest.param(field, value, code, id=f"{field}-{name}")
        for field in TEXT_FIELDS
        for name, value, code in BAD_TEXT
    ]
    + [
        pytest.param(field, "x" * (limit + 1), "max_length", id=f"{field}-overlong")
        for field, limit in TEXT_FIELDS.items()
    ]
    + [
        pytest.param("organisation_name", "", "required", id="organisation_name-empty"),
        pytest.param("organisation_name", "   ", "required", id="organisation_name-blank"),
        pytest.param("organisation_name", None, "required", id="organisation_name-missing"),
        pytest.param("signer_name", "", "required", id="signer_name-empty"),
        pytest.param("signer_name", " \t ", "required", id="signer_name-blank"),
        pytest.param("signer_email", "", "required", id="signer_email-empty"),
        pytest.param("signer_email", "not-an-email", "invalid", id="signer_email-no-at"),
        pytest.param("signer_email", "pema@", "invalid", id="signer_email-no-domain"),
        pytest.param("signer_email", "pe ma@example.org", "invalid", id="signer_email-space"),
        pytest.param("signer_email", "<b>x</b>@example.org", "invalid", id="signer_email-html"),
        pytest.param("signer_email", "pema\x07@example.org", "invalid", id="signer_email-control"),
        pytest.param(
            "signer_email", "a@b.org\nBcc: victim@example.org", "invalid", id="signer_email-header"
        ),
        pytest.param(
            "signer_email",
            "p" * 64 + "@" + ("d" * 50 + ".") * 4 + "org",
            "max_length",
            id="signer_email-overlong",
        ),
        pytest.param("visibility", "secret", "invalid_choice", id="visibility-unknown"),
        pytest.param("visibility", "", "required", id="visibility-empty"),
        pytest.param("consent", None, "required", id="consent-missing"),
        pytest.param("consent", "", "required", id="consent-empty"),
    ]
)


@pytest.mark.parametrize(("field", "value", "code"), CASES)
def test_bad_input_gets_a_clear_error_and_saves_nothing(client, letter, field, value, code):
    # Given an open letter and what exists already
    before = world()

    # When someone submits the sign form with one bad field
    response = _post(client, letter, **{field: value})

    # Then the form comes back with an error on that field, shown on the page
    assert response.status_code == 200
    form = response.context["form"]
    codes = [error.code for error in form.errors.as_data().get(field, [])]
    assert codes == (list(code) if isinstance(code, tuple) else [code]), form.errors.as_data()
    assert list(form.errors) == [field]
    for message in form.errors[field]:
        assert html.escape(message) in response.content.decode()
    # And nothing was saved: no signature, no organisation, no email, no audit event
    assert world() == before


@pytest.mark.parametrize(
    "email",
    ["pema\u202e@example.org", "pema@exa\u202emple.org", "pema@🙂.example.org"],
    ids=["bidi-local", "bidi-domain", "emoji-domain"],
)
def test_an_email_address_with_invisible_or_pictorial_characters_is_refused(client, letter, email):
    before = world()

    response = _post(client, letter, signer_email=email)

    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["signer_email"]
    assert world() == before


def test_whitespace_control_characters_are_folded_into_spaces_not_stored(client, letter):
    """Tabs, newlines and the information separators are whitespace to Python: the form folds
    them into single spaces, so none reaches the database."""
    response = _post(
        client,
        letter,
        organisation_name="Tibet\tWatch\x1f\x1e\nLondon",
        signer_name="Pema\x0b\x0cDolma",
    )

    assert response.status_code == 302
    signature = Signature.objects.get()
    assert (signature.proposed_organisation_name, signature.signer_name) == (
        "Tibet Watch London",
        "Pema Dolma",
    )


def test_the_honeypot_field_is_not_a_form_error(client, letter):
    response = _post(client, letter, website="")

    assert response.status_code == 302
    assert Signature.objects.count() == 1


def test_several_errors_are_all_reported_at_once(client, letter):
    before = world()

    response = _post(
        client, letter, organisation_name="", signer_name="<i>", signer_email="x", consent=None
    )

    assert response.status_code == 200
    assert sorted(response.context["form"].errors) == [
        "consent",
        "organisation_name",
        "signer_email",
        "signer_name",
    ]
    assert world() == before


# --- Every script is welcome ---------------------------------------------------------------------

SCRIPTS = [
    pytest.param("中国人权捍卫者", "王小明", "中国 香港", "主任", id="chinese"),
    pytest.param("བོད་ཀྱི་མི་དམངས།", "བསྟན་འཛིན་སྒྲོལ་མ།", "བོད།", "འགན་འཛིན།", id="tibetan"),
    pytest.param("ئۇيغۇر كىشىلىك ھوقۇق", "ئابدۇرېھىم", "شەرقىي تۈركىستان", "مۇدىر", id="uyghur"),
]


@pytest.mark.parametrize(("organisation_name", "signer_name", "based_in", "title"), SCRIPTS)
def test_names_in_every_script_are_saved_unchanged_and_shown_to_the_coordinator(
    client, letter, owner, organisation_name, signer_name, based_in, title
):
    # When someone signs with names in their own script
    response = _post(
        client,
        letter,
        organisation_name=organisation_name,
        based_in=based_in,
        signer_name=signer_name,
        signer_title=title,
    )

    # Then the signature is recorded, every name exactly as typed
    assert response.status_code == 302
    assert response["Location"] == reverse("letters:sign-sent", args=[letter.slug])
    signature = Signature.objects.get()
    assert (signature.proposed_organisation_name, signature.proposed_based_in) == (
        organisation_name,
        based_in,
    )
    # (the organisation is registered once the signer confirms)
    services.confirm_signature(signature=signature)
    signature = Signature.objects.select_related("public_organisation").get()
    organisation = Organisation.objects.get()
    assert organisation == signature.organisation
    assert (organisation.name, organisation.based_in, organisation.is_verified) == (
        organisation_name,
        based_in,
        False,
    )
    assert (signature.signer_name, signature.signer_title) == (signer_name, title)

    # And the letter's coordinator sees them, correctly, on the signatures page
    client.force_login(owner)
    page = client.get(reverse("letters:letter-signatures", args=[letter.slug]))
    assert page.status_code == 200
    content = page.content.decode()
    assert organisation_name in content
    assert signer_name in content
    assert title in content
    assert signature.signer_email in text_of(page)
    # And the confirmation email carries them as typed too
    email = OutboundEmail.objects.get(kind="signature_confirm")
    assert organisation_name in email.subject
    assert f"Hello {signer_name}," in email.body_text


def test_a_tibetan_name_keeps_its_vowel_signs_when_matched(client, letter):
    """Tibetan vowels are combining marks: matching an existing organisation must not drop them
    and merge two different names."""
    _post(client, letter, organisation_name="བོད་ཀྱི་མི་དམངས།")
    _post(
        client,
        letter,
        organisation_name="བད་ཀྱ་མ་དམངས།",  # the same consonants without the vowels
        signer_email="other@example.org",
    )
    for signature in Signature.objects.all():
        services.confirm_signature(signature=signature)

    assert sorted(Organisation.objects.values_list("name", flat=True)) == sorted(
        ["བོད་ཀྱི་མི་དམངས།", "བད་ཀྱ་མ་དམངས།"]
    )
    assert Signature.objects.count() == 2


@pytest.mark.parametrize(
    "based_in", ["中国 香港", "བོད།", "شەرقىي تۈركىستان"], ids=["chinese", "tibetan", "uyghur"]
)
def test_the_coordinator_sees_where_each_organisation_is_based(client, letter, owner, based_in):
    """The signer's own words for where the organisation works, in their own script, are part of
    what a coordinator checks on the signatures page."""
    _post(client, letter, organisation_name="Tibet Watch", based_in=based_in)
    assert Signature.objects.get().proposed_based_in == based_in
    client.force_login(owner)

    page = client.get(reverse("letters:letter-signatures", args=[letter.slug]))

    assert page.status_code == 200
    assert based_in in page.content.decode()
