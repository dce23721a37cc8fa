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


# --- What the sealed organisation must not leak through the organisations app's other paths --


def dump(table: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT t::text FROM {table} t")  # noqa: S608 - a fixed table name
        return "\n".join(row[0] for row in cursor.fetchall())


def sealed(name: str = NAME, **details: str) -> Organisation:
    return services.create_organisation(
        name=name, based_in=PLACE, created_by=None, sealed=True, **details
    )


@pytest.mark.parametrize("typed", [NAME, f" {NAME.lower()} ", "Uyghur Youth Network Вerlin"])
def test_registering_its_name_is_referred_to_a_moderator_without_naming_it(client, typed):
    organisation = sealed()
    registrant = UserFactory(email="registrant@elsewhere.example.org")
    client.force_login(registrant)

    response = client.post(
        reverse("organisations:create"),
        {"name": typed, "based_in": "Berlin-Mitte", "description": "Youth work"},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("organisations:mine")
    assert Organisation.objects.count() == 1
    organisation.refresh_from_db()
    assert organisation.is_sealed  # anyone may type a name: no public existence yet
    flag = organisation.flags.get()
    assert flag.kind == "same_as_hidden"
    assert "registrant@elsewhere.example.org" in flag.note
    stored = dump("organisations_organisationflag") + raw_row(organisation)
    for clear in (NAME, "Uyghur", "uyghur", "Berlin", "Youth work"):
        assert clear not in stored


def test_a_moderator_registering_its_name_is_told_it_exists(client, moderator):
    organisation = sealed()
    client.force_login(moderator)

    response = client.post(reverse("organisations:create"), {"name": NAME})

    assert response.status_code == 200
    assert response.context["existing"] == organisation
    assert Organisation.objects.count() == 1


def test_renaming_an_organisation_to_its_name_is_referred_without_naming_it(
    client, org_admin, own_organisation
):
    organisation = sealed()
    client.force_login(org_admin)

    response = client.post(
        reverse("organisations:edit", args=[own_organisation.slug]), {"name": NAME}
    )

    assert response.status_code == 200
    assert response.context["existing"] is None
    assert "already registered" not in response.content.decode()  # only what they typed
    assert "asked one to look" in response.content.decode()
    own_organisation.refresh_from_db()
    assert own_organisation.name != NAME
    assert NAME not in dump("organisations_organisationflag")
    assert organisation.flags.get().kind == "same_as_hidden"


def test_it_is_never_suggested_even_when_the_database_narrowing_would_match_it(moderator):
    # Its stored keys start "hmac:": a name starting "Hma" once narrowed to every sealed one,
    # and its decrypted acronym then made it a likely duplicate.
    organisation = sealed("Hmar Solidarity Group", acronym="HSG")

    assert selectors.likely_duplicates("Hmar Student Guild", acronym="HSG") == []
    found = selectors.likely_duplicates_of({0: ("Hmar Student Guild", "HSG")}, include_sealed=True)
    assert found[0] == [organisation]


def test_moderators_screens_find_a_near_identical_sealed_name():
    organisation = sealed()

    found = selectors.likely_duplicates_of(
        {1: ("Uyghur Youth Netwrk Berlin", ""), 2: ("Tibet Watch", "")}, include_sealed=True
    )

    assert found == {1: [organisation], 2: []}
    assert selectors.likely_duplicates("Uyghur Youth Netwrk Berlin") == []


def test_a_registration_like_it_raises_no_flag_naming_it():
    organisation = sealed()

    created = services.create_organisation(
        name="Uyghur Youth Network Berlin-Brandenburg",
        created_by=UserFactory(),
        like_hidden=[organisation],
    )

    assert not created.flags.exists()
    assert not organisation.flags.exists()


def test_a_moderator_edit_keeps_it_sealed_and_writes_no_name_in_clear(moderator):
    organisation = sealed()
    renamed = "Uyghur Youth Nеtwork Berlin e.V."  # a Cyrillic е: mixes scripts in a word

    services.update_organisation(
        organisation=organisation,
        actor=moderator,
        name=renamed,
        based_in="Berlin, Germany",
        acronym="UYNB",
        website="https://uynb.example.org",
        description="A network of young Uyghurs.",
    )

    again = Organisation.objects.get(pk=organisation.pk)
    assert again.is_sealed
    assert again.slug == organisation.slug
    assert (again.name, again.based_in, again.acronym) == (renamed, "Berlin, Germany", "UYNB")
    stored = raw_row(again) + dump("organisations_organisationflag") + dump("audit_auditevent")
    for clear in ("Uyghur", "Berlin", "UYNB", "uynb", "young"):
        assert clear not in stored
    with pytest.raises(services.DuplicateOrganisation):
        services.create_organisation(name=renamed, created_by=UserFactory())


def test_an_email_domain_unseals_it(moderator):
    organisation = sealed()

    services.add_email_domain(organisation=organisation, domain="uynb.example.org", actor=moderator)

    organisation.refresh_from_db()
    assert not organisation.is_sealed
    assert NAME in raw_row(organisation)


def test_accepting_an_invitation_unseals_it(moderator):
    from allauth.account.models import EmailAddress

    from tests.organisations.invitation_links import INVITEE_EMAIL, secret_of

    organisation = sealed()
    invitation = services.invite_member(
        organisation=organisation, email=INVITEE_EMAIL, role="admin", actor=moderator
    )
    invitee = UserFactory(email=INVITEE_EMAIL)
    EmailAddress.objects.update_or_create(
        user=invitee, email=invitee.email, defaults={"verified": True, "primary": True}
    )
    assert Organisation.objects.get(pk=organisation.pk).is_sealed

    services.accept_membership_invitation(secret=secret_of(invitation), user=invitee)

    organisation.refresh_from_db()
    assert not organisation.is_sealed
    assert not organisation.slug.startswith("o-")
    assert NAME in raw_row(organisation)


def test_unsealing_twice_changes_nothing_the_second_time():
    organisation = sealed()

    first = services.unseal_organisation(organisation=organisation)
    second = services.unseal_organisation(organisation=first)

    assert second.slug == first.slug == "uyghur-youth-network-berlin"
    assert (second.normalised_name, second.based_in) == ("uyghuryouthnetworkberlin", PLACE)
    from audit.actions import Action
    from audit.models import AuditEvent

    assert AuditEvent.objects.filter(action=Action.ORGANISATION_UNSEALED).count() == 1


def test_the_admin_shows_a_moderator_that_it_is_sealed_and_its_clear_name(client):
    organisation = sealed()
    client.force_login(make_moderator(email="mod@undersigned.example.org", is_staff=True))

    listed = client.get(
        reverse("admin:organisations_organisation_changelist"), {"is_sealed__exact": "1"}
    )
    page = client.get(reverse("admin:organisations_organisation_change", args=[organisation.pk]))

    assert list(listed.context["cl"].result_list) == [organisation]
    assert page.status_code == 200
    content = page.content.decode()
    assert f'value="{NAME}"' in content
    assert "A sealed organisation exists only because of withheld signatures" in content


def test_sealing_again_removes_the_flag_notes_that_name_it(moderator):
    organisation = sealed("Uyghur Youth Nеtwork Berlin")  # a Cyrillic е: mixes scripts
    services.unseal_organisation(organisation=organisation)  # flagged, by name
    like_it = services.create_organisation(
        name="Uyghur Youth Network Berlin Brandenburg",
        created_by=UserFactory(),
        like_hidden=[Organisation.objects.get(pk=organisation.pk)],
    )
    assert "Uyghur" in dump("organisations_organisationflag")

    assert services.seal_organisation(organisation=organisation)

    assert organisation.flags.count() == 1
    assert like_it.flags.get().other_id == organisation.pk
    assert "Uyghur Youth Nеtwork" not in dump("organisations_organisationflag")
    assert "Uyghur" not in raw_row(organisation)
