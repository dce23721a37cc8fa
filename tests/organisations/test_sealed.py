"""Issue 12, item 1: an organisation that exists only because of a withheld signature is
sealed — a copy of the database holds neither its name nor its details, yet the database still
refuses a second organisation of the same name, moderators see it as before, and it becomes
public (in clear) as soon as it has a public existence."""

import pytest
from django.db import connection
from django.urls import reverse

from letters import services as letter_services
from letters.models import Letter
from organisations import selectors, services
from organisations.models import Organisation
from tests.factories import LetterFactory, UserFactory, make_moderator
from tests.letters.signing_helpers import sign

pytestmark = pytest.mark.django_db

NAME = "Uyghur Youth Network Berlin"
PLACE = "Berlin"


def raw_row(organisation: Organisation) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t::text FROM organisations_organisation t WHERE id = %s", [organisation.pk]
        )
        return cursor.fetchone()[0]


def signed_withheld(visibility: str = "counted_only", name: str = NAME) -> Organisation:
    letter = LetterFactory(sign_on_mode=Letter.SignOnMode.OPEN)
    signature = sign(letter, new_name=name, based_in=PLACE, visibility=visibility)
    return letter_services.confirm_signature(signature=signature).organisation


@pytest.mark.parametrize("visibility", ["counted_only", "recipient_only"])
def test_a_withheld_signature_creates_a_sealed_organisation(visibility):
    organisation = signed_withheld(visibility)

    stored = raw_row(organisation)
    assert organisation.is_sealed
    for clear in (NAME, NAME.lower(), "uyghuryouthnetworkberlin", "Uyghur", PLACE):
        assert clear not in stored
    assert organisation.slug.startswith("o-")
    again = Organisation.objects.get(pk=organisation.pk)
    assert (again.name, again.based_in) == (NAME, PLACE)  # with the key, as before


def test_a_public_signature_creates_an_organisation_in_clear():
    letter = LetterFactory(sign_on_mode=Letter.SignOnMode.OPEN)
    signature = sign(letter, new_name=NAME, based_in=PLACE)

    organisation = letter_services.confirm_signature(signature=signature).organisation

    assert not organisation.is_sealed
    assert NAME in raw_row(organisation)


@pytest.mark.parametrize(
    "typed", [NAME, NAME.upper(), f"  {NAME}  ", "Uyghur Youth Network Вerlin"]
)
def test_the_same_name_or_a_lookalike_finds_the_sealed_one(typed):
    organisation = signed_withheld()

    with pytest.raises(services.DuplicateOrganisation) as refused:
        services.create_organisation(name=typed, created_by=UserFactory())
    assert refused.value.existing == organisation
    # And a second withheld signature by the same name signs for the same organisation.
    assert signed_withheld(name=typed) == organisation


def test_the_sealed_one_is_never_suggested_and_has_no_public_page(client):
    organisation = signed_withheld()

    assert organisation not in selectors.likely_duplicates(NAME)
    assert client.get(reverse("organisations:detail", args=[organisation.slug])).status_code == 404


def test_verifying_unseals(moderator):
    organisation = signed_withheld()

    services.verify_organisation(organisation=organisation, moderator=moderator)

    organisation.refresh_from_db()
    assert not organisation.is_sealed
    assert NAME in raw_row(organisation)
    assert not organisation.slug.startswith("o-")


def test_a_member_unseals(moderator):
    from allauth.account.models import EmailAddress

    organisation = signed_withheld()
    user = UserFactory()
    EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )

    services.add_member(organisation=organisation, user=user, actor=moderator)

    organisation.refresh_from_db()
    assert not organisation.is_sealed


def test_widening_to_public_unseals_and_narrowing_seals_again():
    letter = LetterFactory(sign_on_mode=Letter.SignOnMode.OPEN)
    signature = letter_services.confirm_signature(
        signature=sign(letter, new_name=NAME, based_in=PLACE, visibility="counted_only")
    )
    token = letter_services.request_widening(
        signature=signature, visibility="public", show_signer_name=False
    )
    letter_services.confirm_widening(token=token)
    organisation = Organisation.objects.get(pk=signature.organisation.pk)
    assert not organisation.is_sealed

    letter_services.narrow_visibility(
        signature=signature, visibility="recipient_only", show_signer_name=False
    )

    organisation.refresh_from_db()
    assert organisation.is_sealed
    assert NAME not in raw_row(organisation)


def test_the_moderators_find_it_by_name_in_the_admin(client):
    organisation = signed_withheld()
    client.force_login(make_moderator(email="mod@undersigned.example.org", is_staff=True))

    response = client.get(
        reverse("admin:organisations_organisation_changelist"), {"q": "youth net"}
    )

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [organisation]
    assert NAME in response.content.decode()


def test_the_indexes_change_with_the_key(settings):
    from organisations.models import sealed_key

    before = sealed_key("name", "x")
    settings.FIELD_INDEX_KEY = "another index key"

    assert sealed_key("name", "x") != before
