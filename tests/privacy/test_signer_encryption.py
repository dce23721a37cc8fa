"""Issue 12, item 1 (its first part): every signature's signer name, title and email are
stored encrypted. A copy of the signatures table names no signer; with the key, every screen
shows what it showed before, and the rules that read those fields still hold."""

import pytest
from django.db import connection
from django.urls import reverse

from letters import services
from letters.models import Letter, Signature
from tests.factories import LetterFactory, OrganisationFactory, make_coordinator
from tests.letters.signing_helpers import sign

NAME = "Gyaltsen Norbu"
TITLE = "Director of Advocacy"
EMAIL = "gyaltsen@tibet-rights.example.org"


def raw_signature_rows() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM letters_signature")
        return repr(cursor.fetchall())


@pytest.fixture
def letter(db) -> Letter:
    return LetterFactory(sign_on_mode=Letter.SignOnMode.OPEN)


@pytest.mark.django_db
def test_the_signatures_table_names_no_signer(letter):
    signature = sign(letter, signer_name=NAME, signer_title=TITLE, signer_email=EMAIL)
    services.confirm_signature(signature=signature)

    stored = raw_signature_rows()

    for clear in (NAME, "Gyaltsen", TITLE, EMAIL, "tibet-rights.example.org"):
        assert clear not in stored


@pytest.mark.django_db
def test_with_the_key_the_values_read_back(letter):
    signature = sign(letter, signer_name=NAME, signer_title=TITLE, signer_email=EMAIL)

    again = Signature.objects.get(pk=signature.pk)

    assert (again.signer_name, again.signer_title, again.signer_email) == (NAME, TITLE, EMAIL)


@pytest.mark.django_db
def test_the_coordinator_still_finds_a_signer_by_name_or_address(client, letter):
    coordinator = make_coordinator(email="coord@undersigned.example.org")
    letter.coordinators.create(user=coordinator)
    sign(letter, signer_name=NAME, signer_title=TITLE, signer_email=EMAIL)
    sign(letter, new_name="Other Group", signer_name="Someone Else", signer_email="x@other.example")
    client.force_login(coordinator)
    url = reverse("letters:letter-signatures", args=[letter.slug])

    by_name = client.get(url, {"q": "gyaltsen"}).content.decode()
    by_address = client.get(url, {"q": "tibet-rights"}).content.decode()

    for page in (by_name, by_address):
        assert NAME in page
        assert "Someone Else" not in page


@pytest.mark.django_db
def test_moderators_see_other_signatures_from_the_same_domain(letter):
    from letters.selectors import add_review_notes

    first = sign(letter, organisation=OrganisationFactory(name="Tibet Rights"), signer_email=EMAIL)
    second = sign(letter, new_name="Another Name", signer_email="b@tibet-rights.example.org")
    services.confirm_signature(signature=first)
    services.confirm_signature(signature=second)

    [noted] = add_review_notes(
        list(Signature.objects.select_related("public_organisation").filter(pk=second.pk))
    )

    assert [s.pk for s in noted.review.signed_as] == [first.pk]
