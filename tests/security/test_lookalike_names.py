"""Issue 11, item 10: lookalike organisation names.

The organisation forms took what the sign form refuses (bidi overrides, control characters,
emoji), and compared names only by case and punctuation: "Аmnesty International" with a
Cyrillic А, or "Amnesty InternationaI" with a capital i, registered beside the real one.
Names are now compared by their UTS #39 confusable skeleton; a name mixing scripts within a
word is accepted and flagged to moderators; every script's own names stay welcome."""

import pytest
from django.urls import reverse

from core.errors import DomainError
from organisations import services
from organisations.models import Organisation, OrganisationFlag
from organisations.names import skeleton
from tests.factories import MembershipFactory, OrganisationFactory

pytestmark = pytest.mark.django_db

REAL = "Amnesty International"
LOOKALIKES = ["\u0410mnesty International", "Amnesty InternationaI", "Arnnesty lnternational"]
BAD_TEXT = {
    "bidi": "\u202eLanoitanretnI ytsenmA",
    "isolate": "Amnesty \u2067International",
    "control": "Amnesty\x07 International",
    "emoji": "Amnesty International \U0001f56f",
}
WELCOME = ["西藏之声", "བོད་ཀྱི་དམངས་གཙོ།", "ئۇيغۇر ياشلار تورى", "Tibet Justice Center"]


@pytest.mark.parametrize("name", LOOKALIKES)
def test_a_lookalike_has_the_skeleton_of_the_real_name(name):
    assert skeleton(name) == skeleton(REAL)


@pytest.mark.parametrize("name", LOOKALIKES)
def test_a_lookalike_cannot_be_registered_beside_the_real_one(client, signer, name):
    real = OrganisationFactory(name=REAL, slug="amnesty", is_verified=True)
    client.force_login(signer)
    response = client.post(reverse("organisations:create"), {"name": name})
    assert response.status_code == 200
    assert response.context["existing"] == real
    assert not Organisation.objects.filter(name=name).exists()
    with pytest.raises(services.DuplicateOrganisation):
        services.create_organisation(name=name, created_by=signer)


@pytest.mark.parametrize("name", LOOKALIKES)
def test_renaming_to_a_lookalike_is_refused(org_admin, name):
    OrganisationFactory(name=REAL, slug="amnesty", is_verified=True)
    own = org_admin.memberships.get().organisation
    with pytest.raises(services.DuplicateOrganisation):
        services.update_organisation(organisation=own, actor=org_admin, name=name)


@pytest.mark.parametrize("kind", BAD_TEXT)
@pytest.mark.parametrize("field", ["name", "acronym", "based_in", "description"])
def test_the_forms_refuse_what_the_sign_form_refuses(client, org_admin, kind, field):
    own = org_admin.memberships.get().organisation
    client.force_login(org_admin)
    data = {"name": "Plain Name", field: BAD_TEXT[kind]}
    created = client.post(reverse("organisations:create"), data)
    assert field in created.context["form"].errors
    edit = {"name": own.name, field: BAD_TEXT[kind]}
    edited = client.post(reverse("organisations:edit", kwargs={"slug": own.slug}), edit)
    assert field in edited.context["form"].errors
    assert not Organisation.objects.filter(name=BAD_TEXT[kind]).exists()


@pytest.mark.parametrize("kind", BAD_TEXT)
def test_the_services_refuse_it_too(org_admin, kind):
    own = org_admin.memberships.get().organisation
    with pytest.raises(DomainError):
        services.create_organisation(name=BAD_TEXT[kind], created_by=org_admin)
    with pytest.raises(DomainError):
        services.update_organisation(organisation=own, actor=org_admin, based_in=BAD_TEXT[kind])


def test_a_website_with_a_bidi_override_is_refused(client, signer):
    client.force_login(signer)
    data = {"name": "Plain Name", "website": "https://exa\u202emple.org/"}
    response = client.post(reverse("organisations:create"), data)
    assert "website" in response.context["form"].errors


@pytest.mark.parametrize("name", WELCOME)
def test_every_scripts_names_are_welcome_and_not_flagged(client, signer, name):
    client.force_login(signer)
    response = client.post(reverse("organisations:create"), {"name": name})
    assert response.status_code == 302
    assert Organisation.objects.filter(name=name).exists()
    assert not OrganisationFlag.objects.exists()


def test_a_description_keeps_its_paragraphs(client, org_admin):
    own = org_admin.memberships.get().organisation
    client.force_login(org_admin)
    text = "First paragraph.\r\n\r\nSecond paragraph."
    response = client.post(
        reverse("organisations:edit", kwargs={"slug": own.slug}),
        {"name": own.name, "description": text},
    )
    assert response.status_code == 302


def test_a_name_mixing_scripts_in_a_word_is_accepted_and_flagged(client, signer):
    client.force_login(signer)
    name = "Tibеt Support Group"  # a Cyrillic е inside a Latin word
    response = client.post(reverse("organisations:create"), {"name": name})
    assert response.status_code == 302
    flag = OrganisationFlag.objects.get()
    assert (flag.organisation.name, flag.kind) == (name, OrganisationFlag.Kind.MIXED_SCRIPT)


def test_the_moderators_duplicate_list_sees_lookalikes():
    from organisations.selectors import likely_duplicates

    real = OrganisationFactory(name=REAL, slug="amnesty", is_verified=True)
    MembershipFactory(organisation=real, role="admin")
    assert likely_duplicates("\u0410mnesty \u0406nternational") == [real]
