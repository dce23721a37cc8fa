"""organisations.services.merge_organisation_records: the organisations app's half of a merge
(letters' merge_organisations moves signatures and invitations to sign, then calls it). Who
may merge which pair, and what moves. On every refusal, nothing changed."""

import pytest
from django.utils import timezone

from core.errors import DomainError, NotAllowed
from organisations import services
from organisations.models import (
    EmailDomain,
    Membership,
    MembershipInvitation,
    MembershipRequest,
    Organisation,
)
from tests.factories import EmailDomainFactory, MembershipFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db


def snapshot() -> dict:
    return {
        "organisations": list(
            Organisation.objects.order_by("pk").values_list("pk", "merged_into", "is_verified")
        ),
        "memberships": list(
            Membership.objects.order_by("pk").values_list("pk", "organisation", "user", "role")
        ),
        "domains": list(
            EmailDomain.objects.order_by("pk").values_list("pk", "organisation", "is_verified")
        ),
        "invitations": list(
            MembershipInvitation.objects.order_by("pk").values_list("pk", "organisation", "status")
        ),
    }


@pytest.fixture
def pair(moderator):
    """Human Rights Watch (kept) and its duplicate, with members in one or both, domains listed
    by one or both, and invitations to join."""
    target = OrganisationFactory(name="Human Rights Watch", is_verified=True)
    source = OrganisationFactory(
        name="Human-Rights Watch Intl",
        is_verified=True,
        verified_at=timezone.now(),
        verified_by=moderator,
    )
    people = {
        name: UserFactory(email=f"{name}@hrw.example.org") for name in ("ana", "bob", "cho", "dev")
    }
    # ana: admin of the duplicate, member of the kept one → stays member (a merge grants no role)
    MembershipFactory(organisation=target, user=people["ana"], role="member")
    MembershipFactory(organisation=source, user=people["ana"], role="admin")
    # bob: member of the duplicate, admin of the kept one → stays admin
    MembershipFactory(organisation=target, user=people["bob"], role="admin")
    MembershipFactory(organisation=source, user=people["bob"], role="member")
    # cho: only in the duplicate → asks to join the kept one
    cho = MembershipFactory(organisation=source, user=people["cho"], role="member")
    # dev: only in the kept one → untouched
    MembershipFactory(organisation=target, user=people["dev"], role="member")

    EmailDomainFactory(organisation=target, domain="hrw.example.org")
    verified_on_source = EmailDomainFactory(
        organisation=source,
        domain="hrw.example.org",
        is_verified=True,
        verified_at=timezone.now(),
        verified_by=moderator,
    )
    EmailDomainFactory(organisation=source, domain="hrw-intl.example.org")

    def invite(organisation, email):
        return services.invite_member(
            organisation=organisation, email=email, role="member", actor=moderator
        )

    invite(target, "newcomer@hrw.example.org")
    invited_by_both = invite(source, "NEWCOMER@hrw.example.org")
    invited_by_source = invite(source, "other@hrw-intl.example.org")
    return {
        "source": source,
        "target": target,
        "people": people,
        "cho": cho,
        "verified_on_source": verified_on_source,
        "invited_by_both": invited_by_both,
        "invited_by_source": invited_by_source,
    }


def test_the_duplicates_records_move_to_the_kept_organisation(moderator, pair):
    source, target, people = pair["source"], pair["target"], pair["people"]

    # When
    records = services.merge_organisation_records(source=source, target=target, moderator=moderator)

    # Then: what moved, for the merge's audit event
    cho_request = MembershipRequest.objects.get()
    assert (cho_request.organisation, cho_request.user, cho_request.status) == (
        target,
        people["cho"],
        "pending",
    )
    assert records.as_data() == {
        "membership_requests": [
            {"user": people["cho"].pk, "role": "member", "request": cho_request.pk}
        ],
        "memberships_merged": [
            {"user": people["ana"].pk, "role": "admin"},
            {"user": people["bob"].pk, "role": "member"},
        ],
        "membership_invitations": [pair["invited_by_both"].pk, pair["invited_by_source"].pk],
        # Every pending invitation of the duplicate: its admins chose whom to invite.
        "membership_invitations_revoked": [
            pair["invited_by_both"].pk,
            pair["invited_by_source"].pk,
        ],
        "email_domains": ["hrw-intl.example.org"],
        "email_domains_merged": ["hrw.example.org"],
        "email_domains_verified_by_merge": ["hrw.example.org"],
    }
    # And: the kept organisation's members as they were; the duplicate's rows gone
    assert sorted(Membership.objects.values_list("organisation", "user__email", "role")) == [
        (target.pk, "ana@hrw.example.org", "member"),
        (target.pk, "bob@hrw.example.org", "admin"),
        (target.pk, "dev@hrw.example.org", "member"),
    ]
    # And: each domain once, verified as the duplicate's was
    assert sorted(
        EmailDomain.objects.values_list("organisation", "domain", "is_verified", "verified_by")
    ) == [
        (target.pk, "hrw-intl.example.org", False, None),
        (target.pk, "hrw.example.org", True, moderator.pk),
    ]
    # And: every invitation kept as the record; one pending invitation per address
    assert sorted(MembershipInvitation.objects.values_list("organisation", "email", "status")) == [
        (target.pk, "NEWCOMER@hrw.example.org", "revoked"),
        (target.pk, "newcomer@hrw.example.org", "pending"),
        (target.pk, "other@hrw-intl.example.org", "revoked"),
    ]
    # And: the duplicate stays, merged, vouching for nothing
    source.refresh_from_db()
    assert (source.merged_into, source.is_verified, source.verified_at, source.verified_by) == (
        target,
        False,
        None,
        None,
    )
    target.refresh_from_db()
    assert (target.merged_into, target.is_verified) == (None, True)


def test_merging_an_organisation_without_records_only_marks_it(moderator):
    source, target = OrganisationFactory(), OrganisationFactory()

    records = services.merge_organisation_records(source=source, target=target, moderator=moderator)

    assert records.as_data() == {
        "membership_requests": [],
        "memberships_merged": [],
        "membership_invitations": [],
        "membership_invitations_revoked": [],
        "email_domains": [],
        "email_domains_merged": [],
        "email_domains_verified_by_merge": [],
    }
    source.refresh_from_db()
    assert source.merged_into == target


@pytest.mark.parametrize("case", ["same", "source merged", "target merged"])
def test_impossible_merges_are_refused(moderator, case):
    a, b, c = (OrganisationFactory() for _ in range(3))
    if case == "same":
        source, target = a, a
    else:
        services.merge_organisation_records(source=c, target=b, moderator=moderator)
        source, target = (c, a) if case == "source merged" else (a, c)
    before = snapshot()

    with pytest.raises(DomainError):
        services.merge_organisation_records(source=source, target=target, moderator=moderator)

    assert snapshot() == before


@pytest.mark.parametrize("who", ["signer", "org_admin", "coordinator"])
def test_only_moderators_merge(request, pair, who):
    user = request.getfixturevalue(who)
    before = snapshot()

    with pytest.raises(NotAllowed):
        services.merge_organisation_records(
            source=pair["source"], target=pair["target"], moderator=user
        )

    assert snapshot() == before
