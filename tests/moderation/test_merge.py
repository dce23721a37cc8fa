"""Merging a duplicate organisation into the one it duplicates: what moves, how conflicts
(both signed the same letter) are resolved, what is refused, and that no signature is lost."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages import get_messages
from django.urls import reverse

from audit.models import AuditEvent
from core.errors import DomainError, NotAllowed
from letters import selectors, services
from letters.models import Invitation, Letter, Signature
from organisations import services as organisation_services
from organisations.models import EmailDomain, Membership, MembershipInvitation, Organisation
from tests.factories import EmailDomainFactory, MembershipFactory, OrganisationFactory, UserFactory

from .conftest import make_open_letter, sign_and_confirm

pytestmark = pytest.mark.django_db

S = Signature.Status


def set_status(signature: Signature, status: str) -> Signature:
    Signature.objects.filter(pk=signature.pk).update(status=status)
    signature.refresh_from_db()
    return signature


@pytest.fixture
def world(owner, moderator):
    """Human Rights Watch (kept) and "Human-Rights Watch Intl" (the duplicate), with members,
    domains, invitations and signatures on four letters."""
    target = OrganisationFactory(name="Human Rights Watch", acronym="HRW", is_verified=True)
    source = OrganisationFactory(name="Human-Rights Watch Intl")
    EmailDomainFactory(organisation=target, domain="hrw.example.org", is_verified=True)
    EmailDomainFactory(organisation=source, domain="hrw.example.org")  # listed by both
    EmailDomainFactory(organisation=source, domain="hrw-intl.example.org")
    alice = MembershipFactory(
        organisation=target, role="admin", user=UserFactory(email="alice@hrw.example.org")
    ).user
    bob = UserFactory(email="bob@hrw.example.org")
    MembershipFactory(organisation=target, role="member", user=bob)
    MembershipFactory(organisation=source, role="admin", user=bob)  # in both: target's role stays
    carol = MembershipFactory(
        organisation=source, role="member", user=UserFactory(email="carol@hrw-intl.example.org")
    ).user

    conflict = make_open_letter(owner, title="Both signed, one awaits review")
    kept_by_target = sign_and_confirm(conflict, organisation=target, email="dana@hrw.example.org")
    set_status(kept_by_target, S.APPROVED)
    duplicate_pending = sign_and_confirm(
        conflict, organisation=source, email="press@hrw-intl.example.org"
    )

    only_source = make_open_letter(
        owner, title="Only the duplicate signed", lead_organisations=[source]
    )
    moved = set_status(
        sign_and_confirm(only_source, organisation=source, email="press@hrw-intl.example.org"),
        S.APPROVED,
    )
    invitation = services.invite(
        letter=only_source, actor=owner, email="info@hrw-intl.example.org", organisation=source
    )

    withdrawn_letter = make_open_letter(owner, title="The duplicate withdrew")
    withdrawn = set_status(
        sign_and_confirm(withdrawn_letter, organisation=source, email="press@hrw-intl.example.org"),
        S.WITHDRAWN,
    )
    target_on_withdrawn = set_status(
        sign_and_confirm(withdrawn_letter, organisation=target, email="dana@hrw.example.org"),
        S.APPROVED,
    )

    reversed_letter = make_open_letter(owner, title="Keep the duplicate's")
    target_unconfirmed = services.sign_letter(
        letter=reversed_letter,
        organisation=services.OrganisationChoice(organisation=target),
        signer_name="Dana Hill",
        signer_email="dana@hrw.example.org",
        consent=True,
    )
    source_approved = set_status(
        sign_and_confirm(reversed_letter, organisation=source, email="press@hrw-intl.example.org"),
        S.APPROVED,
    )

    both_invited = organisation_services.invite_member(
        organisation=source, email="newcomer@hrw.example.org", role="member", actor=moderator
    )
    organisation_services.invite_member(
        organisation=target, email="Newcomer@hrw.example.org", role="member", actor=moderator
    )
    only_source_invited = organisation_services.invite_member(
        organisation=source, email="other@hrw-intl.example.org", role="member", actor=moderator
    )
    return {
        "source": source,
        "target": target,
        "alice": alice,
        "bob": bob,
        "carol": carol,
        "letters": {
            "conflict": conflict,
            "only_source": only_source,
            "withdrawn": withdrawn_letter,
            "reversed": reversed_letter,
        },
        "kept_by_target": kept_by_target,
        "duplicate_pending": duplicate_pending,
        "moved": moved,
        "withdrawn": withdrawn,
        "target_on_withdrawn": target_on_withdrawn,
        "target_unconfirmed": target_unconfirmed,
        "source_approved": source_approved,
        "invitation": invitation,
        "both_invited": both_invited,
        "only_source_invited": only_source_invited,
    }


def resolutions(world) -> dict[int, int]:
    return {
        world["letters"]["conflict"].pk: world["kept_by_target"].pk,
        world["letters"]["reversed"].pk: world["source_approved"].pk,
    }


def snapshot() -> dict:
    """Everything a refused merge must leave as it was."""
    return {
        "signatures": list(
            Signature.objects.order_by("pk").values_list("pk", "organisation_key", "status")
        ),
        "memberships": list(
            Membership.objects.order_by("pk").values_list("pk", "organisation_id", "role")
        ),
        "domains": list(
            EmailDomain.objects.order_by("pk").values_list("pk", "organisation_id", "is_verified")
        ),
        "invitations": list(Invitation.objects.order_by("pk").values_list("pk", "organisation_id")),
        "membership_invitations": list(
            MembershipInvitation.objects.order_by("pk").values_list(
                "pk", "organisation_id", "status"
            )
        ),
        "organisations": list(
            Organisation.objects.order_by("pk").values_list("pk", "merged_into", "is_verified")
        ),
        "lead": sorted(
            Letter.lead_organisations.through.objects.values_list("letter_id", "organisation_id")
        ),
        "events": AuditEvent.objects.count(),
    }


# --- The plan -------------------------------------------------------------------------------


def test_the_plan_lists_what_moves_and_the_conflicts(world):
    plan = selectors.plan_merge(source=world["source"], target=world["target"])

    assert [m.user.email for m in plan.memberships] == ["carol@hrw-intl.example.org"]
    assert [m.user.email for m in plan.shared_members] == ["bob@hrw.example.org"]
    assert sorted(s.pk for s in plan.signatures) == sorted(
        [
            world["duplicate_pending"].pk,
            world["moved"].pk,
            world["withdrawn"].pk,
            world["source_approved"].pk,
        ]
    )
    assert [
        (c.letter.title, c.source_signature.pk, c.target_signature.pk) for c in plan.conflicts
    ] == [
        (
            "Both signed, one awaits review",
            world["duplicate_pending"].pk,
            world["kept_by_target"].pk,
        ),
        ("Keep the duplicate's", world["source_approved"].pk, world["target_unconfirmed"].pk),
    ]
    assert [i.pk for i in plan.invitations] == [world["invitation"].pk]
    assert [i.pk for i in plan.membership_invitations] == [
        world["both_invited"].pk,
        world["only_source_invited"].pk,
    ]
    assert [d.domain for d in plan.email_domains] == ["hrw-intl.example.org"]
    assert [d.domain for d in plan.shared_domains] == ["hrw.example.org"]
    assert [letter.title for letter in plan.lead_letters] == ["Only the duplicate signed"]
    assert plan.unresolvable == []


# --- The merge ------------------------------------------------------------------------------


def test_merge_moves_everything_and_loses_no_signature(world, moderator):
    source, target = world["source"], world["target"]
    signatures_before = Signature.objects.count()
    versions_before = dict(Letter.objects.values_list("pk", "list_version"))

    services.merge_organisations(
        source=source, target=target, moderator=moderator, resolutions=resolutions(world)
    )

    # Every signature is still there, all on the kept organisation
    assert Signature.objects.count() == signatures_before
    assert not Signature.objects.of_organisation(source).exists()
    status = lambda key: Signature.objects.get(pk=world[key].pk).status  # noqa: E731
    # Conflict 1: the target's approved signature stays; the duplicate's is rejected as such
    assert status("kept_by_target") == S.APPROVED
    assert status("duplicate_pending") == S.REJECTED
    rejected = Signature.objects.get(pk=world["duplicate_pending"].pk)
    assert (rejected.rejection_reason, rejected.decided_by) == ("duplicate", moderator)
    # Conflict 2: the duplicate's approved signature stays; the target's unconfirmed one is
    # withdrawn
    assert status("source_approved") == S.APPROVED
    assert status("target_unconfirmed") == S.WITHDRAWN
    # No conflict: moved as they were
    assert status("moved") == S.APPROVED
    assert status("withdrawn") == S.WITHDRAWN
    assert status("target_on_withdrawn") == S.APPROVED
    # One live signature per letter, for the kept organisation
    live = Signature.objects.of_organisation(target).filter(status__in=Signature.LIVE)
    assert sorted(live.values_list("letter__title", flat=True)) == [
        "Both signed, one awaits review",
        "Keep the duplicate's",
        "Only the duplicate signed",
        "The duplicate withdrew",
    ]

    # Members: Carol asks to join (issue 11, item 11); Bob, in both, keeps the target's role
    assert sorted(target.memberships.values_list("user__email", "role")) == [
        ("alice@hrw.example.org", "admin"),
        ("bob@hrw.example.org", "member"),
    ]
    assert list(
        target.membership_requests.values_list("user__email", "previous_role", "status")
    ) == [("carol@hrw-intl.example.org", "member", "pending")]
    assert not source.memberships.exists()
    # Domains: the duplicate's own moves, the shared one is kept once (verified)
    assert sorted(target.email_domains.values_list("domain", "is_verified")) == [
        ("hrw-intl.example.org", False),
        ("hrw.example.org", True),
    ]
    assert not source.email_domains.exists()
    # Invitations to sign move; invitations to join move, the duplicate's pending ones revoked
    assert Invitation.objects.get(pk=world["invitation"].pk).organisation == target
    assert sorted(
        MembershipInvitation.objects.filter(organisation=target).values_list("email", "status")
    ) == [
        ("Newcomer@hrw.example.org", "pending"),
        ("newcomer@hrw.example.org", "revoked"),
        ("other@hrw-intl.example.org", "revoked"),
    ]
    # Lead organisation of a letter
    assert list(world["letters"]["only_source"].lead_organisations.all()) == [target]
    # The duplicate is kept, pointing at the other, vouching for nothing
    source.refresh_from_db()
    assert (source.merged_into, source.is_verified) == (target, False)
    # The lists of signatories that showed the duplicate's name are stale
    after = dict(Letter.objects.values_list("pk", "list_version"))
    for letter in world["letters"].values():
        assert after[letter.pk] > versions_before[letter.pk]


def test_merge_is_recorded_with_the_full_list_of_moves(world, moderator):
    source, target = world["source"], world["target"]

    services.merge_organisations(
        source=source, target=target, moderator=moderator, resolutions=resolutions(world)
    )

    merged = AuditEvent.objects.get(action="organisation.merged")
    assert (merged.actor, merged.organisation) == (moderator, target)
    assert merged.reason == "Human-Rights Watch Intl merged into Human Rights Watch"
    data = merged.data
    assert data["source"] == {"id": source.pk, "name": "Human-Rights Watch Intl"}
    assert data["target"] == {"id": target.pk, "name": "Human Rights Watch"}
    assert sorted(data["signatures"]) == sorted(
        [world[k].pk for k in ("duplicate_pending", "moved", "withdrawn", "source_approved")]
    )
    assert data["conflicts"] == [
        {
            "letter": world["letters"]["conflict"].pk,
            "kept": world["kept_by_target"].pk,
            "retired": world["duplicate_pending"].pk,
            "as": "rejected",
        },
        {
            "letter": world["letters"]["reversed"].pk,
            "kept": world["source_approved"].pk,
            "retired": world["target_unconfirmed"].pk,
            "as": "withdrawn",
        },
    ]
    assert data["invitations"] == [world["invitation"].pk]
    assert data["memberships_merged"] == [{"user": world["bob"].pk, "role": "admin"}]
    assert data["membership_invitations_revoked"] == [
        world["both_invited"].pk,
        world["only_source_invited"].pk,
    ]
    assert data["email_domains"] == ["hrw-intl.example.org"]
    assert data["email_domains_merged"] == ["hrw.example.org"]
    assert data["lead_letters"] == [world["letters"]["only_source"].pk]
    merged_into = AuditEvent.objects.get(action="organisation.merged_into")
    assert (merged_into.organisation, merged_into.data) == (source, {"target": target.pk})
    # The conflicts' losers went through the signature services, which record them too
    assert AuditEvent.objects.filter(
        action="signature.rejected", target_id=world["duplicate_pending"].pk
    ).exists()
    assert AuditEvent.objects.filter(
        action="signature.withdrawn", target_id=world["target_unconfirmed"].pk
    ).exists()


@pytest.mark.parametrize(
    "missing", ["conflict", "reversed"], ids=["first conflict", "second conflict"]
)
def test_an_unresolved_conflict_stops_the_merge_and_changes_nothing(world, moderator, missing):
    chosen = resolutions(world)
    del chosen[world["letters"][missing].pk]
    before = snapshot()

    with pytest.raises(DomainError, match="Choose which signature on"):
        services.merge_organisations(
            source=world["source"], target=world["target"], moderator=moderator, resolutions=chosen
        )

    assert snapshot() == before


def test_a_resolution_naming_a_signature_of_neither_is_refused(world, moderator):
    chosen = resolutions(world) | {world["letters"]["conflict"].pk: world["moved"].pk}
    before = snapshot()

    with pytest.raises(DomainError):
        services.merge_organisations(
            source=world["source"], target=world["target"], moderator=moderator, resolutions=chosen
        )

    assert snapshot() == before


def test_both_on_a_published_letter_cannot_be_merged(owner, moderator):
    target = OrganisationFactory(name="Free Tibet", is_verified=True)
    source = OrganisationFactory(name="Free Tibet UK")
    letter = make_open_letter(owner)
    kept = set_status(
        sign_and_confirm(letter, organisation=target, email="a@ft.example.org"), S.APPROVED
    )
    other = set_status(
        sign_and_confirm(letter, organisation=source, email="b@ftuk.example.org"), S.APPROVED
    )
    services.close_letter(letter=letter, actor=owner)
    services.publish_letter(letter=Letter.objects.get(pk=letter.pk), actor=owner)
    before = snapshot()

    with pytest.raises(DomainError, match="published letter"):
        services.merge_organisations(
            source=source, target=target, moderator=moderator, resolutions={letter.pk: kept.pk}
        )

    assert snapshot() == before
    assert other.pk != kept.pk


@pytest.mark.parametrize("case", ["same", "source merged", "target merged"])
def test_impossible_merges_are_refused(moderator, case):
    a = OrganisationFactory(name="Alpha Rights")
    b = OrganisationFactory(name="Beta Rights")
    if case == "same":
        source, target = a, a
    else:
        c = OrganisationFactory(name="Gamma Rights")
        services.merge_organisations(source=c, target=b, moderator=moderator)
        source, target = (c, a) if case == "source merged" else (a, c)
    before = snapshot()

    with pytest.raises(DomainError):
        services.merge_organisations(source=source, target=target, moderator=moderator)

    assert snapshot() == before


@pytest.mark.parametrize("role", ["signer", "coordinator", "staff_without_group"])
def test_only_moderators_merge(request, world, role):
    user = request.getfixturevalue(role)
    before = snapshot()

    with pytest.raises(NotAllowed):
        services.merge_organisations(
            source=world["source"],
            target=world["target"],
            moderator=user,
            resolutions=resolutions(world),
        )

    assert snapshot() == before


def test_the_merged_organisations_page_redirects_to_the_kept_one(client, world, moderator):
    services.merge_organisations(
        source=world["source"],
        target=world["target"],
        moderator=moderator,
        resolutions=resolutions(world),
    )

    response = client.get(reverse("organisations:detail", args=[world["source"].slug]))

    assert response.status_code == 302
    assert response["Location"] == reverse("organisations:detail", args=[world["target"].slug])


def test_signing_under_the_merged_name_signs_for_the_kept_organisation(owner, moderator):
    target = OrganisationFactory(name="Tibet Watch")
    source = OrganisationFactory(name="Tibet Watch Intl")
    services.merge_organisations(source=source, target=target, moderator=moderator)
    letter = make_open_letter(owner)

    signature = services.sign_letter(
        letter=letter,
        organisation=services.OrganisationChoice(new_name="tibet watch INTL"),
        signer_name="Pema",
        signer_email="pema@tibetwatch.example.net",
        consent=True,
    )
    services.confirm_signature(signature=signature)
    signature.refresh_from_db()

    assert signature.organisation == target
    assert signature.name_for_signer == "tibet watch INTL"  # shown to the signer as typed


def test_a_verified_domain_of_the_duplicate_stays_verified_on_the_kept_one(moderator):
    target = OrganisationFactory(name="Tibet Watch")
    source = OrganisationFactory(name="Tibet Watch Intl")
    EmailDomainFactory(organisation=target, domain="tibetwatch.example.net")
    EmailDomainFactory(organisation=source, domain="tibetwatch.example.net", is_verified=True)

    services.merge_organisations(source=source, target=target, moderator=moderator)

    assert list(EmailDomain.objects.values_list("organisation__name", "domain", "is_verified")) == [
        ("Tibet Watch", "tibetwatch.example.net", True)
    ]


# --- In the admin ---------------------------------------------------------------------------

CHANGELIST = reverse("admin:organisations_organisation_changelist")
MERGE = reverse("admin:organisations_organisation_merge")


def test_the_action_opens_the_preview_keeping_the_verified_one(client, world, moderator):
    client.force_login(moderator)

    response = client.post(
        CHANGELIST,
        {
            "action": "merge_selected",
            "index": "0",
            ACTION_CHECKBOX_NAME: [world["source"].pk, world["target"].pk],
        },
    )

    assert response.status_code == 302
    assert (
        response["Location"] == f"{MERGE}?source={world['source'].pk}&target={world['target'].pk}"
    )


@pytest.mark.parametrize("count", [1, 3])
def test_the_action_needs_exactly_two(client, world, moderator, count):
    ids = [world["source"].pk, world["target"].pk, OrganisationFactory().pk][:count]
    client.force_login(moderator)

    response = client.post(
        CHANGELIST, {"action": "merge_selected", "index": "0", ACTION_CHECKBOX_NAME: ids}
    )

    assert response.status_code == 302
    assert response["Location"] == CHANGELIST
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Select exactly two organisations to merge."
    ]


def test_the_preview_shows_the_moves_and_asks_about_each_conflict(client, world, moderator):
    client.force_login(moderator)

    response = client.get(f"{MERGE}?source={world['source'].pk}&target={world['target'].pk}")

    assert response.status_code == 200
    page = response.content.decode()
    assert "What moves from Human-Rights Watch Intl to Human Rights Watch" in page
    assert "carol@hrw-intl.example.org" in page
    assert "hrw-intl.example.org" in page
    assert "Conflicts: both signed the same letter" in page
    form = response.context["form"]
    assert list(form.fields) == [
        f"keep_{world['letters']['conflict'].pk}",
        f"keep_{world['letters']['reversed'].pk}",
    ]
    assert [v for v, _label in form.fields[f"keep_{world['letters']['conflict'].pk}"].choices] == [
        world["kept_by_target"].pk,
        world["duplicate_pending"].pk,
    ]
    assert response.context["swap_url"] == (
        f"{MERGE}?source={world['target'].pk}&target={world['source'].pk}"
    )
    # A GET changes nothing
    assert Organisation.objects.get(pk=world["source"].pk).merged_into is None


def test_merging_in_the_admin_without_choosing_shows_the_form_again(client, world, moderator):
    client.force_login(moderator)
    before = snapshot()

    response = client.post(MERGE, {"source": world["source"].pk, "target": world["target"].pk})

    assert response.status_code == 200
    assert sorted(response.context["form"].errors) == sorted(
        [f"keep_{world['letters']['conflict'].pk}", f"keep_{world['letters']['reversed'].pk}"]
    )
    assert snapshot() == before


def test_merging_in_the_admin(client, world, moderator):
    client.force_login(moderator)
    data = {"source": world["source"].pk, "target": world["target"].pk} | {
        f"keep_{letter_id}": kept for letter_id, kept in resolutions(world).items()
    }

    response = client.post(MERGE, data)

    assert response.status_code == 302
    assert response["Location"] == reverse(
        "admin:organisations_organisation_change", args=[world["target"].pk]
    )
    assert Organisation.objects.get(pk=world["source"].pk).merged_into == world["target"]
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Human-Rights Watch Intl was merged into Human Rights Watch."
    ]


@pytest.mark.parametrize("query", ["", "?source=1", "?source=x&target=2", "?source=999&target=998"])
def test_the_merge_page_needs_two_existing_organisations(client, moderator, query):
    client.force_login(moderator)

    assert client.get(f"{MERGE}{query}").status_code == 404
