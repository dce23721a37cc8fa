"""Issue 11, item 11: merging a duplicate does not hand the kept organisation to its members.

Whoever registers a lookalike of a verified organisation is its administrator; a moderator who
merges the lookalike into the real one must not make them an administrator (or a member) of
the real one. Their membership becomes a request that the kept organisation's admins answer;
the merge preview says so plainly; no invitation to join from the duplicate stays usable."""

import pytest
from django.urls import reverse

from letters import services
from organisations import services as organisation_services
from organisations.models import Membership, MembershipInvitation, MembershipRequest
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory, make_moderator

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair():
    real = OrganisationFactory(name="Amnesty International", slug="amnesty", is_verified=True)
    real_admin = MembershipFactory(
        organisation=real, role="admin", user=UserFactory(email="admin@amnesty.example.org")
    ).user
    lookalike = OrganisationFactory(name="Amnesty lnternational", slug="amnesty-l")
    squatter = MembershipFactory(
        organisation=lookalike, role="admin", user=UserFactory(email="squat@evil.example.net")
    ).user
    invitation = organisation_services.invite_member(
        organisation=lookalike, email="friend@evil.example.net", role="admin", actor=squatter
    )
    return real, real_admin, lookalike, squatter, invitation


def test_the_duplicates_members_become_requests_not_members(pair, moderator):
    real, real_admin, lookalike, squatter, invitation = pair

    services.merge_organisations(source=lookalike, target=real, moderator=moderator)

    assert not Membership.objects.filter(organisation=real, user=squatter).exists()
    request = MembershipRequest.objects.get(organisation=real, user=squatter)
    assert request.status == MembershipRequest.Status.PENDING
    invitation.refresh_from_db()
    assert invitation.status != MembershipInvitation.Status.PENDING


def test_the_kept_organisations_admin_approves_a_request_as_a_member(client, pair, moderator):
    real, real_admin, lookalike, squatter, _invitation = pair
    services.merge_organisations(source=lookalike, target=real, moderator=moderator)
    request = MembershipRequest.objects.get(organisation=real, user=squatter)

    client.force_login(real_admin)
    page = client.get(reverse("organisations:members", kwargs={"slug": real.slug}))
    assert "squat@evil.example.net" in page.content.decode()
    client.post(
        reverse(
            "organisations:membership-request",
            kwargs={"slug": real.slug, "pk": request.pk, "decision": "approve"},
        )
    )

    assert Membership.objects.get(organisation=real, user=squatter).role == "member"


def test_a_shared_member_keeps_the_kept_organisations_role(pair, moderator):
    real, real_admin, lookalike, squatter, _invitation = pair
    MembershipFactory(organisation=real, user=squatter, role="member")

    services.merge_organisations(source=lookalike, target=real, moderator=moderator)

    assert Membership.objects.get(organisation=real, user=squatter).role == "member"


def test_the_preview_warns_in_plain_words(client, pair):
    real, _real_admin, lookalike, _squatter, _invitation = pair
    client.force_login(make_moderator(email="mod@undersigned.example.org", is_staff=True))
    url = reverse("admin:organisations_organisation_merge")
    page = client.get(url, {"source": lookalike.pk, "target": real.pk}).content.decode()
    assert "will not become members" in page


def test_only_the_kept_organisations_admins_answer(client, pair, moderator):
    real, _real_admin, lookalike, squatter, _invitation = pair
    services.merge_organisations(source=lookalike, target=real, moderator=moderator)
    request = MembershipRequest.objects.get(organisation=real, user=squatter)
    url = reverse(
        "organisations:membership-request",
        kwargs={"slug": real.slug, "pk": request.pk, "decision": "approve"},
    )
    client.force_login(squatter)
    assert client.post(url).status_code == 403  # the page is public: 403, not 404
    plain = MembershipFactory(organisation=real, role="member").user
    client.force_login(plain)
    assert client.post(url).status_code == 403
    assert not Membership.objects.filter(organisation=real, user=squatter).exists()
