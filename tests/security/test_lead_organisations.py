"""Issue 11, item 5: the lead-organisation picker.

It offered every organisation to every coordinator (hidden ones from other letters included),
and whatever was picked was shown publicly as "Coordinated by". Now a coordinator searches
among verified organisations and their own; the organisation's admins are asked by email and
accept or decline on a page of their own; and a lead whose signature on the letter is not
public (recipient-only, counted-only, not approved) is never named on a public surface."""

import pytest
from django.urls import reverse

from core.errors import DomainError, NotAllowed, TransitionError
from letters import exports, selectors, services
from letters.models import LeadRequest, Letter
from outbox.models import OutboundEmail
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory, make_moderator
from tests.publication.conftest import V, body_of, pdf_text, sign_as

S = Letter.Status


@pytest.fixture
def letter(make_letter):
    return make_letter(S.OPEN, signatories_public_while_open=True)


@pytest.fixture
def lead_org(db):
    return OrganisationFactory(name="Verified Lead Org", is_verified=True)


@pytest.fixture
def lead_admin(lead_org):
    return MembershipFactory(
        organisation=lead_org, user=UserFactory(email="admin@lead-org.example.net"), role="admin"
    ).user


def _public_surfaces(client, letter: Letter) -> str:
    letter = Letter.objects.get(pk=letter.pk)
    return " ".join(
        [
            client.get(letter.get_absolute_url()).content.decode(),
            pdf_text(exports.letter_pdf(letter)),
            "".join(exports.public_csv(selectors.public_signatories(letter))),
            body_of(client.get(reverse("letters:embed", kwargs={"slug": letter.slug}))),
        ]
    )


# --- Never named unless its signature is public ---------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("visibility", "status"),
    [
        (V.COUNTED_ONLY, "approved"),
        (V.RECIPIENT_ONLY, "approved"),
        (V.PUBLIC, "pending_review"),
        (None, None),  # has not signed
    ],
)
def test_a_lead_whose_signature_is_not_public_is_never_named(
    client, letter, owner, visibility, status
):
    hidden = OrganisationFactory(name="Hidden Lead Group")
    if visibility:
        sign_as(letter, "x", organisation=hidden, visibility=visibility, status=status)
    services.update_letter(letter=letter, actor=owner, lead_organisations=[hidden])

    assert "Hidden Lead Group" not in _public_surfaces(client, letter)


@pytest.mark.django_db
def test_a_lead_with_a_public_approved_signature_is_named(client, letter, owner, lead_org):
    sign_as(letter, "x", organisation=lead_org)
    services.update_letter(letter=letter, actor=owner, lead_organisations=[lead_org])
    page = client.get(letter.get_absolute_url()).content.decode()
    assert "Coordinated by" in page
    assert "Verified Lead Org" in page


# --- The picker --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_settings_page_lists_no_organisation(client, letter, owner):
    OrganisationFactory(name="Counted Only Elsewhere Group")
    client.force_login(owner)
    page = client.get(reverse("letters:settings", kwargs={"slug": letter.slug})).content.decode()
    assert "Counted Only Elsewhere Group" not in page


@pytest.mark.django_db
def test_search_finds_verified_and_own_organisations_only(client, letter, owner, lead_org):
    OrganisationFactory(name="Rights Hidden Group")  # unverified, not theirs
    own = OrganisationFactory(name="Rights Own Group")
    MembershipFactory(organisation=own, user=owner)
    OrganisationFactory(name="Rights Verified Group", is_verified=True)
    client.force_login(owner)
    page = client.get(
        reverse("letters:leads", kwargs={"slug": letter.slug}), {"q": "Rights"}
    ).content.decode()
    assert "Rights Verified Group" in page
    assert "Rights Own Group" in page
    assert "Rights Hidden Group" not in page
    # No search, no list.
    page = client.get(reverse("letters:leads", kwargs={"slug": letter.slug})).content.decode()
    assert "Rights Verified Group" not in page


# --- The request and its answer: services ----------------------------------------------------


@pytest.mark.django_db
def test_a_request_asks_the_admins_and_names_nobody_yet(letter, owner, lead_org, lead_admin):
    MembershipFactory(organisation=lead_org, user=UserFactory(email="member@lead-org.example.net"))
    request = services.request_lead(letter=letter, actor=owner, organisation=lead_org)

    assert request.status == LeadRequest.Status.PENDING
    assert list(letter.lead_organisations.all()) == []
    to = sorted(OutboundEmail.objects.filter(kind="lead_request").values_list("to", flat=True))
    assert to == ["admin@lead-org.example.net"]
    body = OutboundEmail.objects.get(kind="lead_request").body_text
    assert f"/letters/leads/{request.pk}/" in body


@pytest.mark.django_db
def test_accept_and_decline(letter, owner, lead_org, lead_admin):
    request = services.request_lead(letter=letter, actor=owner, organisation=lead_org)
    services.accept_lead(request=request, actor=lead_admin)
    assert list(Letter.objects.get(pk=letter.pk).lead_organisations.all()) == [lead_org]
    with pytest.raises(TransitionError):
        services.decline_lead(request=request, actor=lead_admin)
    with pytest.raises(TransitionError):
        services.accept_lead(request=request, actor=lead_admin)
    services.withdraw_lead(request=request, actor=owner)
    assert list(Letter.objects.get(pk=letter.pk).lead_organisations.all()) == []
    with pytest.raises(TransitionError):
        services.withdraw_lead(request=request, actor=owner)

    again = services.request_lead(letter=letter, actor=owner, organisation=lead_org)
    services.decline_lead(request=again, actor=lead_admin)
    assert list(Letter.objects.get(pk=letter.pk).lead_organisations.all()) == []
    with pytest.raises(TransitionError):
        services.accept_lead(request=again, actor=lead_admin)


@pytest.mark.django_db
def test_illegal_requests_and_answers(letter, owner, other_coordinator, lead_org, lead_admin):
    hidden = OrganisationFactory(name="Unverified Stranger")
    with pytest.raises(DomainError):
        services.request_lead(letter=letter, actor=owner, organisation=hidden)
    with pytest.raises(NotAllowed):
        services.request_lead(letter=letter, actor=other_coordinator, organisation=lead_org)
    request = services.request_lead(letter=letter, actor=owner, organisation=lead_org)
    with pytest.raises(TransitionError):
        services.request_lead(letter=letter, actor=owner, organisation=lead_org)  # pending
    member = MembershipFactory(organisation=lead_org, user=UserFactory(email="m@l.example")).user
    for user in (owner, member, other_coordinator):
        with pytest.raises(NotAllowed):
            services.accept_lead(request=request, actor=user)
        with pytest.raises(NotAllowed):
            services.decline_lead(request=request, actor=user)
    with pytest.raises(NotAllowed):
        services.withdraw_lead(request=request, actor=other_coordinator)
    assert LeadRequest.objects.get(pk=request.pk).status == LeadRequest.Status.PENDING


# --- The answer page, per role ---------------------------------------------------------------


@pytest.fixture
def pending(letter, owner, lead_org, lead_admin):
    return services.request_lead(letter=letter, actor=owner, organisation=lead_org)


def _answer_url(request: LeadRequest) -> str:
    return reverse("letters:lead-answer", kwargs={"pk": request.pk})


@pytest.mark.django_db
def test_answer_page_sends_anonymous_to_login(client, pending):
    response = client.get(_answer_url(pending))
    assert response.status_code == 302
    assert "login" in response["Location"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role", ["signer", "member", "other_org_admin", "other_coordinator", "owner", "moderator"]
)
def test_answer_page_refuses_all_but_the_organisations_admins(client, pending, role, request):
    if role in {"other_coordinator", "owner"}:
        user = request.getfixturevalue(role)
    elif role == "moderator":
        user = make_moderator(email="mod@undersigned.example.org")
    elif role == "member":
        user = MembershipFactory(
            organisation=pending.organisation, user=UserFactory(email="mem@lead-org.example.net")
        ).user
    else:
        user = MembershipFactory(
            user=UserFactory(email=f"{role}@ngo.example.org"),
            role="admin" if role == "other_org_admin" else "member",
        ).user
    client.force_login(user)
    assert client.get(_answer_url(pending)).status_code == 404
    assert client.post(_answer_url(pending), {"action": "accept"}).status_code == 404
    assert LeadRequest.objects.get(pk=pending.pk).status == LeadRequest.Status.PENDING


@pytest.mark.django_db
def test_the_organisations_admin_accepts(client, pending, lead_admin):
    client.force_login(lead_admin)
    page = client.get(_answer_url(pending))
    assert page.status_code == 200
    assert pending.letter.title in page.content.decode()
    response = client.post(_answer_url(pending), {"action": "accept"})
    assert response.status_code == 302
    assert LeadRequest.objects.get(pk=pending.pk).status == LeadRequest.Status.ACCEPTED


@pytest.mark.django_db
def test_leads_page_refuses_everyone_but_this_letters_coordinators(
    client, letter, other_coordinator, lead_admin
):
    url = reverse("letters:leads", kwargs={"slug": letter.slug})
    assert client.get(url).status_code == 302
    for user in (
        other_coordinator,
        lead_admin,
        make_moderator(email="mod2@undersigned.example.org"),
    ):
        client.force_login(user)
        assert client.get(url).status_code == 404


# --- Invitations say who invites (issue 15, item 4) ---------------------------------------------


@pytest.mark.django_db
def test_an_invitation_names_the_leads_the_public_may_see_and_no_other(letter, owner, lead_org):
    from tests.emails import as_sent

    hidden = OrganisationFactory(name="Hidden Lead Group")
    sign_as(letter, "x", organisation=lead_org)
    sign_as(letter, "y", organisation=hidden, visibility=V.COUNTED_ONLY)
    services.update_letter(letter=letter, actor=owner, lead_organisations=[lead_org, hidden])

    services.invite(
        letter=letter, actor=owner, email="pema@tibetaction.example.net", organisation_name="TAI"
    )

    [email] = OutboundEmail.objects.filter(kind="invitation")
    sent = as_sent(email)
    assert "The letter is coordinated by Verified Lead Org." in sent.text
    assert "Hidden Lead Group" not in sent.text + sent.html


@pytest.mark.django_db
def test_an_invitation_to_a_letter_without_public_leads_names_none(letter, owner):
    from tests.emails import as_sent

    services.invite(
        letter=letter, actor=owner, email="pema@tibetaction.example.net", organisation_name="TAI"
    )

    [email] = OutboundEmail.objects.filter(kind="invitation")
    assert "coordinated by" not in as_sent(email).text
