"""organisations.services: one test per legal and per illegal path. On every refusal, nothing
changed and no audit event was written."""

import os

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile

from audit.models import AuditEvent
from core.errors import DomainError, NotAllowed
from organisations import services
from organisations.models import EmailDomain, Membership, Organisation
from tests.factories import EmailDomainFactory, MembershipFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db


def actions() -> list[str]:
    return list(AuditEvent.objects.order_by("id").values_list("action", flat=True))


# --- create_organisation -------------------------------------------------------------------


def test_create_organisation_makes_the_creator_its_admin(signer):
    # When
    organisation = services.create_organisation(
        name="  Students for a   Free Tibet ",
        created_by=signer,
        acronym=" SFT ",
        based_in=" Tibet ",
        website="https://studentsforafreetibet.org",
        description="  Campaigns.  ",
    )

    # Then
    organisation.refresh_from_db()
    assert organisation.name == "Students for a Free Tibet"
    assert organisation.slug == "students-for-a-free-tibet"
    assert organisation.normalised_name == "studentsforafreetibet"
    assert organisation.acronym == "SFT"
    assert organisation.based_in == "Tibet"
    assert organisation.description == "Campaigns."
    assert organisation.is_verified is False
    membership = Membership.objects.get(organisation=organisation)
    assert (membership.user, membership.role, membership.added_by) == (signer, "admin", signer)
    event = AuditEvent.objects.get()
    assert (event.action, event.actor, event.organisation) == (
        "organisation.created",
        signer,
        organisation,
    )


def test_create_organisation_without_a_creator_has_no_members(db):
    organisation = services.create_organisation(name="Lhasa Memory Archive", created_by=None)

    assert organisation.memberships.count() == 0
    assert actions() == ["organisation.created"]


@pytest.mark.parametrize("name", ["人权观察", "བོད་ཀྱི་", "ئۇيغۇر"])
def test_create_organisation_accepts_names_in_any_script(signer, name):
    organisation = services.create_organisation(name=name, created_by=signer)

    organisation.refresh_from_db()
    assert organisation.name == name
    assert organisation.slug != ""
    assert organisation.get_absolute_url().startswith("/organisations/")


def test_create_organisation_picks_a_free_slug(signer):
    OrganisationFactory(name="Something else", slug="free-tibet")

    organisation = services.create_organisation(name="Free Tibet", created_by=signer)

    assert organisation.slug == "free-tibet-2"


@pytest.mark.parametrize(
    "name",
    ["Human Rights Watch", "human rights watch", "Human-Rights  Watch", "The Human Rights Watch"],
)
def test_create_organisation_refuses_a_duplicate_by_normalised_name(signer, name):
    # Given
    existing = OrganisationFactory(name="Human Rights Watch", slug="human-rights-watch")
    before = Organisation.objects.count()

    # When
    with pytest.raises(services.DuplicateOrganisation) as caught:
        services.create_organisation(name=name, created_by=signer)

    # Then
    assert caught.value.existing == existing
    assert str(caught.value) == "An organisation called “Human Rights Watch” is already registered."
    assert Organisation.objects.count() == before
    assert Membership.objects.filter(organisation=existing).count() == 0
    assert actions() == []


def test_create_organisation_refuses_a_name_without_letters(signer):
    with pytest.raises(DomainError):
        services.create_organisation(name=" -- ", created_by=signer)

    assert Organisation.objects.filter(name=" -- ").count() == 0
    assert actions() == []


# --- update_organisation -------------------------------------------------------------------


def test_org_admin_updates_the_details(org_admin, own_organisation):
    services.update_organisation(
        organisation=own_organisation,
        actor=org_admin,
        name="New   Name",
        based_in="East Turkestan",
        acronym=own_organisation.acronym,
    )

    own_organisation.refresh_from_db()
    assert own_organisation.name == "New Name"
    assert own_organisation.normalised_name == "newname"
    assert own_organisation.based_in == "East Turkestan"
    event = AuditEvent.objects.get()
    assert (event.action, event.actor, event.data) == (
        "organisation.updated",
        org_admin,
        {"fields": ["based_in", "name"]},
    )


def test_update_without_a_change_writes_no_event(org_admin, own_organisation):
    services.update_organisation(
        organisation=own_organisation, actor=org_admin, name=own_organisation.name
    )

    assert actions() == []


def test_update_may_respell_the_own_name(org_admin, own_organisation):
    services.update_organisation(
        organisation=own_organisation, actor=org_admin, name=own_organisation.name.upper()
    )

    own_organisation.refresh_from_db()
    assert own_organisation.name == own_organisation.name.upper()


def test_update_refuses_the_name_of_another_organisation(org_admin, own_organisation):
    other = OrganisationFactory(name="Human Rights Watch", slug="hrw")
    old_name = own_organisation.name

    with pytest.raises(services.DuplicateOrganisation) as caught:
        services.update_organisation(
            organisation=own_organisation, actor=org_admin, name="human-rights watch"
        )

    assert caught.value.existing == other
    own_organisation.refresh_from_db()
    assert own_organisation.name == old_name
    assert actions() == []


def test_moderator_may_update_any_organisation(moderator, organisation):
    services.update_organisation(organisation=organisation, actor=moderator, based_in="Tibet")

    organisation.refresh_from_db()
    assert organisation.based_in == "Tibet"
    assert actions() == ["organisation.updated"]


@pytest.mark.parametrize("who", ["member", "signer", "coordinator"])
def test_update_is_refused_to_anyone_but_admins_and_moderators(request, who, own_organisation):
    actor = request.getfixturevalue(who)

    with pytest.raises(NotAllowed):
        services.update_organisation(organisation=own_organisation, actor=actor, based_in="Mars")

    own_organisation.refresh_from_db()
    assert own_organisation.based_in == "Hong Kong"
    assert actions() == []


def test_update_refuses_fields_that_are_not_editable(org_admin, own_organisation):
    with pytest.raises(ValueError, match="is_verified"):
        services.update_organisation(
            organisation=own_organisation, actor=org_admin, is_verified=True
        )

    own_organisation.refresh_from_db()
    assert own_organisation.is_verified is False


def test_update_sets_and_clears_the_logo(org_admin, own_organisation):
    services.update_organisation(
        organisation=own_organisation, actor=org_admin, logo=ContentFile(b"x", name="a.png")
    )
    own_organisation.refresh_from_db()
    path = own_organisation.logo.path
    assert own_organisation.logo.name == "logos/a.png"

    services.update_organisation(organisation=own_organisation, actor=org_admin, clear_logo=True)

    own_organisation.refresh_from_db()
    assert own_organisation.logo.name == ""
    assert not os.path.exists(path)
    assert [e.data for e in AuditEvent.objects.order_by("id")] == [
        {"fields": ["logo"]},
        {"fields": ["logo"]},
    ]


# --- verify_organisation -------------------------------------------------------------------


def test_moderator_verifies_an_organisation(moderator, organisation):
    services.verify_organisation(organisation=organisation, moderator=moderator)

    organisation.refresh_from_db()
    assert organisation.is_verified is True
    assert organisation.verified_by == moderator
    assert organisation.verified_at is not None
    assert actions() == ["organisation.verified"]


def test_superuser_counts_as_moderator(superuser, organisation):
    services.verify_organisation(organisation=organisation, moderator=superuser)

    organisation.refresh_from_db()
    assert organisation.is_verified is True


def test_verifying_twice_records_one_event(moderator, organisation):
    services.verify_organisation(organisation=organisation, moderator=moderator)
    services.verify_organisation(organisation=organisation, moderator=moderator)

    assert actions() == ["organisation.verified"]


def test_moderator_unverifies_an_organisation(moderator, organisation):
    services.verify_organisation(organisation=organisation, moderator=moderator)

    services.verify_organisation(organisation=organisation, moderator=moderator, verified=False)

    organisation.refresh_from_db()
    assert (organisation.is_verified, organisation.verified_by, organisation.verified_at) == (
        False,
        None,
        None,
    )
    assert actions() == ["organisation.verified", "organisation.unverified"]


@pytest.mark.parametrize("who", ["org_admin", "coordinator", "signer"])
def test_only_moderators_verify_organisations(request, who, own_organisation):
    actor = request.getfixturevalue(who)

    with pytest.raises(NotAllowed):
        services.verify_organisation(organisation=own_organisation, moderator=actor)

    own_organisation.refresh_from_db()
    assert own_organisation.is_verified is False
    assert actions() == []


# --- members -------------------------------------------------------------------------------


def test_moderator_adds_an_account_directly(moderator, own_organisation):
    colleague = UserFactory(email="colleague@ngo.example.org")

    membership = services.add_member(organisation=own_organisation, user=colleague, actor=moderator)

    assert (membership.user, membership.role, membership.added_by) == (
        colleague,
        "member",
        moderator,
    )
    event = AuditEvent.objects.get()
    assert (event.action, event.target_id, event.data) == (
        "organisation.member_added",
        membership.pk,
        {"role": "member"},
    )


def test_moderator_adds_an_admin(moderator, own_organisation):
    colleague = UserFactory(email="colleague@ngo.example.org")

    membership = services.add_member(
        organisation=own_organisation, user=colleague, actor=moderator, role=Membership.Role.ADMIN
    )

    assert membership.role == "admin"


def test_add_member_needs_a_confirmed_address(moderator, own_organisation, unconfirmed_user):
    with pytest.raises(DomainError, match="has not confirmed an email address yet"):
        services.add_member(organisation=own_organisation, user=unconfirmed_user, actor=moderator)

    assert not own_organisation.members.filter(pk=unconfirmed_user.pk).exists()
    assert actions() == []


def test_add_member_refuses_someone_already_in(moderator, own_organisation, member):
    with pytest.raises(DomainError, match="already a member"):
        services.add_member(organisation=own_organisation, user=member, actor=moderator)

    assert own_organisation.memberships.count() == 2
    assert actions() == []


def test_add_member_refuses_an_unknown_role(moderator, own_organisation):
    colleague = UserFactory(email="colleague@ngo.example.org")

    with pytest.raises(DomainError, match="Unknown role"):
        services.add_member(
            organisation=own_organisation, user=colleague, actor=moderator, role="owner"
        )

    assert own_organisation.memberships.count() == 1
    assert actions() == []


@pytest.mark.parametrize("who", ["org_admin", "member", "signer", "coordinator"])
def test_only_moderators_add_an_account_directly(request, who, own_organisation):
    """Org admins invite by email instead: adding by account would tell them who has one."""
    actor = request.getfixturevalue(who)
    colleague = UserFactory(email="colleague@ngo.example.org")
    before = own_organisation.memberships.count()

    with pytest.raises(NotAllowed):
        services.add_member(organisation=own_organisation, user=colleague, actor=actor)

    assert own_organisation.memberships.count() == before
    assert actions() == []


def test_org_admin_promotes_a_member(org_admin, own_organisation, member):
    membership = member.memberships.get()

    services.change_member_role(membership=membership, role="admin", actor=org_admin)

    membership.refresh_from_db()
    assert membership.role == "admin"
    assert actions() == ["organisation.member_role_changed"]


def test_an_admin_can_be_demoted_while_another_admin_remains(org_admin, own_organisation):
    other = MembershipFactory(organisation=own_organisation, role="admin")

    services.change_member_role(membership=other, role="member", actor=org_admin)

    other.refresh_from_db()
    assert other.role == "member"


def test_the_last_admin_cannot_be_demoted(org_admin, own_organisation, member):
    membership = org_admin.memberships.get()

    with pytest.raises(DomainError, match="at least one administrator"):
        services.change_member_role(membership=membership, role="member", actor=org_admin)

    membership.refresh_from_db()
    assert membership.role == "admin"
    assert actions() == []


def test_change_member_role_refuses_an_unknown_role(org_admin, member):
    membership = member.memberships.get()

    with pytest.raises(DomainError, match="Unknown role"):
        services.change_member_role(membership=membership, role="owner", actor=org_admin)

    membership.refresh_from_db()
    assert membership.role == "member"
    assert actions() == []


def test_changing_to_the_same_role_records_nothing(org_admin, member):
    services.change_member_role(membership=member.memberships.get(), role="member", actor=org_admin)

    assert actions() == []


def test_a_member_cannot_change_roles(member, org_admin):
    membership = org_admin.memberships.get()

    with pytest.raises(NotAllowed):
        services.change_member_role(membership=member.memberships.get(), role="admin", actor=member)

    assert member.memberships.get().role == "member"
    assert membership.role == "admin"
    assert actions() == []


def test_org_admin_removes_a_member(org_admin, own_organisation, member):
    membership = member.memberships.get()

    services.remove_member(membership=membership, actor=org_admin)

    assert not Membership.objects.filter(pk=membership.pk).exists()
    event = AuditEvent.objects.get()
    assert (event.action, event.actor, event.data) == (
        "organisation.member_removed",
        org_admin,
        {"user_id": member.pk},
    )


def test_a_member_may_leave(member):
    services.remove_member(membership=member.memberships.get(), actor=member)

    assert member.memberships.count() == 0
    assert actions() == ["organisation.member_removed"]


def test_moderator_removes_a_member(moderator, member):
    services.remove_member(membership=member.memberships.get(), actor=moderator)

    assert member.memberships.count() == 0


def test_the_last_admin_cannot_leave(org_admin, member):
    with pytest.raises(DomainError, match="at least one administrator"):
        services.remove_member(membership=org_admin.memberships.get(), actor=org_admin)

    assert org_admin.memberships.count() == 1
    assert actions() == []


def test_the_last_admin_cannot_be_removed_by_a_moderator(org_admin, moderator):
    with pytest.raises(DomainError):
        services.remove_member(membership=org_admin.memberships.get(), actor=moderator)

    assert org_admin.memberships.count() == 1


def test_an_admin_may_leave_when_another_admin_remains(org_admin, own_organisation):
    MembershipFactory(organisation=own_organisation, role="admin")

    services.remove_member(membership=org_admin.memberships.get(), actor=org_admin)

    assert org_admin.memberships.count() == 0


@pytest.mark.parametrize("who", ["member", "signer", "coordinator"])
def test_only_admins_remove_others(request, who, own_organisation):
    actor = request.getfixturevalue(who)
    target = MembershipFactory(organisation=own_organisation)

    with pytest.raises(NotAllowed):
        services.remove_member(membership=target, actor=actor)

    assert Membership.objects.filter(pk=target.pk).exists()
    assert actions() == []


# --- email domains -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        (" @Example.ORG. ", "example.org"),
        ("mail.ngo.example", "mail.ngo.example"),
        ("bücher.example", "xn--bcher-kva.example"),
    ],
)
def test_org_admin_lists_a_domain_normalised(org_admin, own_organisation, typed, stored):
    email_domain = services.add_email_domain(
        organisation=own_organisation, domain=typed, actor=org_admin
    )

    assert (email_domain.domain, email_domain.is_verified) == (stored, False)
    event = AuditEvent.objects.get()
    assert (event.action, event.data) == ("organisation.domain_added", {"domain": stored})


@pytest.mark.parametrize("typed", ["not a domain", "example", "-bad.example.org", "a@b@c", ""])
def test_add_email_domain_refuses_an_invalid_domain(org_admin, own_organisation, typed):
    with pytest.raises(ValidationError):
        services.add_email_domain(organisation=own_organisation, domain=typed, actor=org_admin)

    assert EmailDomain.objects.count() == 0
    assert actions() == []


def test_add_email_domain_refuses_a_domain_listed_twice(org_admin, own_organisation):
    EmailDomainFactory(organisation=own_organisation, domain="ngo.example.org")

    with pytest.raises(DomainError, match="already listed"):
        services.add_email_domain(
            organisation=own_organisation, domain="NGO.example.org", actor=org_admin
        )

    assert EmailDomain.objects.count() == 1
    assert actions() == []


def test_two_organisations_may_list_the_same_unverified_domain(org_admin, own_organisation):
    EmailDomainFactory(domain="shared.example.org")

    services.add_email_domain(
        organisation=own_organisation, domain="shared.example.org", actor=org_admin
    )

    assert EmailDomain.objects.filter(domain="shared.example.org").count() == 2


@pytest.mark.parametrize("who", ["member", "signer", "coordinator"])
def test_only_admins_list_domains(request, who, own_organisation):
    actor = request.getfixturevalue(who)

    with pytest.raises(NotAllowed):
        services.add_email_domain(
            organisation=own_organisation, domain="ngo.example.org", actor=actor
        )

    assert EmailDomain.objects.count() == 0
    assert actions() == []


def test_moderator_verifies_a_domain(moderator):
    email_domain = EmailDomainFactory(domain="ngo.example.org")

    services.set_email_domain_verified(email_domain=email_domain, moderator=moderator)

    email_domain.refresh_from_db()
    assert (email_domain.is_verified, email_domain.verified_by) == (True, moderator)
    assert email_domain.verified_at is not None
    assert actions() == ["organisation.domain_verified"]


def test_moderator_unverifies_a_domain(moderator):
    email_domain = EmailDomainFactory(domain="ngo.example.org")
    services.set_email_domain_verified(email_domain=email_domain, moderator=moderator)

    services.set_email_domain_verified(
        email_domain=email_domain, moderator=moderator, verified=False
    )

    email_domain.refresh_from_db()
    assert (email_domain.is_verified, email_domain.verified_by, email_domain.verified_at) == (
        False,
        None,
        None,
    )
    assert actions() == ["organisation.domain_verified", "organisation.domain_unverified"]


@pytest.mark.parametrize("domain", ["gmail.com", "proton.me", "qq.com"])
def test_a_public_mail_domain_is_never_verified(moderator, domain):
    email_domain = EmailDomainFactory(domain=domain)

    with pytest.raises(DomainError, match="public mail service"):
        services.set_email_domain_verified(email_domain=email_domain, moderator=moderator)

    email_domain.refresh_from_db()
    assert email_domain.is_verified is False
    assert actions() == []


def test_a_verified_domain_belongs_to_one_organisation(moderator):
    first = EmailDomainFactory(domain="shared.example.org")
    second = EmailDomainFactory(domain="shared.example.org")
    services.set_email_domain_verified(email_domain=first, moderator=moderator)

    with pytest.raises(DomainError, match="already verified for another organisation"):
        services.set_email_domain_verified(email_domain=second, moderator=moderator)

    second.refresh_from_db()
    assert second.is_verified is False
    assert actions() == ["organisation.domain_verified"]


@pytest.mark.parametrize("who", ["org_admin", "coordinator", "signer"])
def test_only_moderators_verify_domains(request, who, own_organisation):
    actor = request.getfixturevalue(who)
    email_domain = EmailDomainFactory(organisation=own_organisation, domain="ngo.example.org")

    with pytest.raises(NotAllowed):
        services.set_email_domain_verified(email_domain=email_domain, moderator=actor)

    email_domain.refresh_from_db()
    assert email_domain.is_verified is False
    assert actions() == []


def test_org_admin_removes_an_unverified_domain(org_admin, own_organisation):
    email_domain = EmailDomainFactory(organisation=own_organisation, domain="ngo.example.org")

    services.remove_email_domain(email_domain=email_domain, actor=org_admin)

    assert EmailDomain.objects.count() == 0
    event = AuditEvent.objects.get()
    assert (event.action, event.data) == (
        "organisation.domain_removed",
        {"domain": "ngo.example.org"},
    )


def test_org_admin_cannot_remove_a_verified_domain(org_admin, own_organisation, moderator):
    email_domain = EmailDomainFactory(organisation=own_organisation, domain="ngo.example.org")
    services.set_email_domain_verified(email_domain=email_domain, moderator=moderator)

    with pytest.raises(NotAllowed, match="only be removed by a moderator"):
        services.remove_email_domain(email_domain=email_domain, actor=org_admin)

    assert EmailDomain.objects.filter(pk=email_domain.pk, is_verified=True).exists()
    assert actions() == ["organisation.domain_verified"]


def test_moderator_removes_a_verified_domain(own_organisation, moderator):
    email_domain = EmailDomainFactory(organisation=own_organisation, domain="ngo.example.org")
    services.set_email_domain_verified(email_domain=email_domain, moderator=moderator)

    services.remove_email_domain(email_domain=email_domain, actor=moderator)

    assert EmailDomain.objects.count() == 0


@pytest.mark.parametrize("who", ["member", "signer", "coordinator"])
def test_only_admins_remove_domains(request, who, own_organisation):
    actor = request.getfixturevalue(who)
    email_domain = EmailDomainFactory(organisation=own_organisation, domain="ngo.example.org")

    with pytest.raises(NotAllowed):
        services.remove_email_domain(email_domain=email_domain, actor=actor)

    assert EmailDomain.objects.count() == 1
    assert actions() == []


@pytest.mark.parametrize("name", ["New", "Mine"])
def test_an_organisation_never_gets_a_slug_that_is_a_page(org_admin, name):
    organisation = services.create_organisation(name=name, created_by=org_admin)

    assert organisation.slug == f"{name.lower()}-2"


def test_renaming_a_verified_organisation_asks_a_moderator_to_verify_it_again(org_admin, moderator):
    organisation = org_admin.memberships.get().organisation
    services.verify_organisation(organisation=organisation, moderator=moderator)

    services.update_organisation(organisation=organisation, actor=org_admin, name="Amnesty Intl")

    organisation.refresh_from_db()
    assert (organisation.name, organisation.is_verified, organisation.verified_by) == (
        "Amnesty Intl",
        False,
        None,
    )
    assert list(
        AuditEvent.objects.filter(organisation=organisation)
        .order_by("id")
        .values_list("action", flat=True)
    )[-2:] == ["organisation.updated", "organisation.unverified"]


def test_a_moderator_renaming_keeps_the_verification(org_admin, moderator):
    organisation = org_admin.memberships.get().organisation
    services.verify_organisation(organisation=organisation, moderator=moderator)

    services.update_organisation(organisation=organisation, actor=moderator, name="Renamed")

    organisation.refresh_from_db()
    assert organisation.is_verified is True
