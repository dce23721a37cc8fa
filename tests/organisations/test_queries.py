"""Query counts of the organisation pages: exact, and the same with 1 or 20 rows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from organisations.models import MembershipInvitation, Organisation
from tests.factories import EmailDomainFactory, MembershipFactory, OrganisationFactory

pytestmark = pytest.mark.django_db


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_my_organisations(client, org_admin):
    # session, user, the user's groups (role checks in the navigation), memberships joined
    # with their organisations.
    client.force_login(org_admin)
    url = reverse("organisations:mine")
    few = count_queries(client, url)

    for _ in range(19):
        MembershipFactory(user=org_admin, role="admin")

    assert few == count_queries(client, url) == 4


def test_public_page(client, own_organisation, org_admin):
    Organisation.objects.filter(pk=own_organisation.pk).update(is_verified=True)
    # Anonymous: the organisation (verified, so its page is public without asking more), and
    # the letters it signed publicly (letters' publication_tags;
    # tests/publication/test_organisation_page.py adds letters).
    url = own_organisation.get_absolute_url()
    assert count_queries(client, url) == 2

    # An admin: session, user, organisation, groups (moderator check), the membership for
    # can_manage and again for can_see_members, the letters signed.
    client.force_login(org_admin)
    few = count_queries(client, url)
    for _ in range(19):
        MembershipFactory(organisation=own_organisation)
    assert few == count_queries(client, url) == 7


def add_invitations(organisation, n: int, invited_by) -> None:
    start = organisation.membership_invitations.count()
    for i in range(start, start + n):
        MembershipInvitation.objects.create(
            organisation=organisation,
            email=f"invitee{i}@elsewhere.example.org",
            token_hash=f"{i:064x}",
            invited_by=invited_by,
        )


def test_members_page(client, own_organisation, org_admin):
    # session, user, organisation, groups, whether its page is public and a membership check
    # (may the visitor know it exists: issue 11, item 3), two membership checks (can_manage,
    # can_see_members), the members joined with their users, the pending invitations, the
    # pending requests to join.
    client.force_login(org_admin)
    url = reverse("organisations:members", kwargs={"slug": own_organisation.slug})
    add_invitations(own_organisation, 1, org_admin)
    few = count_queries(client, url)

    for _ in range(19):
        MembershipFactory(organisation=own_organisation)
    add_invitations(own_organisation, 19, org_admin)

    assert few == count_queries(client, url) == 11
    assert own_organisation.membership_invitations.count() == 20


def test_members_page_of_a_member(client, own_organisation, member, org_admin):
    # As above without the invitations, which only those who manage the organisation see.
    client.force_login(member)
    url = reverse("organisations:members", kwargs={"slug": own_organisation.slug})
    add_invitations(own_organisation, 3, org_admin)

    assert count_queries(client, url) == 9


def test_domains_page(client, own_organisation, org_admin):
    # session, user, organisation, groups, whether its page is public, three membership checks
    # (may the visitor know it exists, can_manage, can_see_members), the domains.
    client.force_login(org_admin)
    url = reverse("organisations:domains", kwargs={"slug": own_organisation.slug})
    EmailDomainFactory(organisation=own_organisation)
    few = count_queries(client, url)

    for _ in range(19):
        EmailDomainFactory(organisation=own_organisation)

    assert few == count_queries(client, url) == 9


def test_create_page_with_a_duplicate_warning(client, signer):
    # session, user, groups, the duplicate candidates (one query however many match), which
    # of them have a public page, which of them have the user as a member, and the sealed
    # organisation of the same name if any (none is ever a candidate: selectors.sealed_namesake).
    client.force_login(signer)
    url = reverse("organisations:create")
    OrganisationFactory(name="Human Rights Watch", slug="hrw", is_verified=True)

    with CaptureQueriesContext(connection) as one:
        client.post(url, {"name": "Human Rights Wach"})
    for n in range(3):
        OrganisationFactory(name=f"Human Rights Watch {n}", slug=f"hrw-{n}", is_verified=True)
    with CaptureQueriesContext(connection) as four:
        response = client.post(url, {"name": "Human Rights Wach"})

    assert len(response.context["candidates"]) == 4
    assert len(one) == len(four) == 7
