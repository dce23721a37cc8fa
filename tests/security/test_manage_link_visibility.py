"""Issue 11, item 7: a forwarded email does not widen a signature's visibility.

The "manage" link of every signature email lives a year and can be used again and again: who
holds a forwarded copy holds it. It may only make the organisation less visible (public →
recipient only → counted only, hide the signer's name) or withdraw. Making it more visible asks
for a fresh, short-lived, single-use link sent to the signer's own address. Every change —
narrower, wider, withdrawn — is emailed to the signer and to the organisation's admins."""

import itertools

import pytest
from django.urls import reverse

from letters import services
from letters.models import Letter, Signature
from organisations.models import Membership
from outbox.models import OutboundEmail
from tests.factories import LetterFactory, MembershipFactory, UserFactory
from tests.letters.signing_helpers import (
    SIGNER_EMAIL,
    in_state,
    link_in,
    manage_path,
    sign,
    signed_days_ago,
    verified_organisation,
)

V = Signature.Visibility
ADMIN_EMAIL = "admin@tibetwatch.example.net"
RANK = {V.COUNTED_ONLY: 0, V.RECIPIENT_ONLY: 1, V.PUBLIC: 2}
STATES = list(itertools.product([V.PUBLIC, V.RECIPIENT_ONLY, V.COUNTED_ONLY], [False, True]))
PAIRS = [(a, b) for a in STATES for b in STATES if a != b]


def _wider(before, after) -> bool:
    return RANK[after[0]] > RANK[before[0]] or (after[1] and not before[1])


@pytest.fixture
def signature(db) -> Signature:
    letter = LetterFactory(sign_on_mode=Letter.SignOnMode.OPEN)
    organisation = verified_organisation()
    MembershipFactory(
        organisation=organisation,
        user=UserFactory(email=ADMIN_EMAIL),
        role=Membership.Role.ADMIN,
    )
    signature = sign(letter, organisation=organisation, visibility=V.COUNTED_ONLY)
    return in_state(signature, Signature.Status.APPROVED)


def _set(signature: Signature, state) -> Signature:
    Signature.objects.filter(pk=signature.pk).update(visibility=state[0], show_signer_name=state[1])
    signature.refresh_from_db()
    return signature


def _state(signature: Signature):
    signature.refresh_from_db()
    return (signature.visibility, signature.show_signer_name)


def _post_visibility(client, signature, state):
    data = {"action": "visibility", "visibility": state[0]}
    if state[1]:
        data["show_signer_name"] = "on"
    return client.post(manage_path(signature), data)


def _notices() -> set[str]:
    return set(OutboundEmail.objects.filter(kind="signature_changed").values_list("to", flat=True))


@pytest.mark.django_db
@pytest.mark.parametrize(("before", "after"), PAIRS)
def test_the_manage_link_only_narrows(client, signature, before, after):
    _set(signature, before)
    OutboundEmail.objects.all().delete()

    response = _post_visibility(client, signature, after)

    assert response.status_code == 302
    if _wider(before, after):
        # Nothing changes: a confirmation goes to the signer's own address, and only there.
        assert _state(signature) == before
        asked = OutboundEmail.objects.get(kind="signature_widen")
        assert asked.to == SIGNER_EMAIL
        assert _notices() == set()
    else:
        assert _state(signature) == after
        assert not OutboundEmail.objects.filter(kind="signature_widen").exists()
        assert _notices() == {SIGNER_EMAIL, ADMIN_EMAIL}


def _widen_link(client, signature, after) -> str:
    _post_visibility(client, signature, after)
    email = OutboundEmail.objects.filter(kind="signature_widen").latest("pk")
    from outbox.services import live_bodies  # the stored body holds no live link (item 8)

    return link_in(live_bodies(email).text, "signatures/widen")


@pytest.mark.django_db
def test_widening_takes_the_emailed_confirmation_once(client, signature):
    after = (V.PUBLIC, True)
    path = _widen_link(client, signature, after)

    page = client.get(path)  # a mail scanner opens it: nothing changes
    assert page.status_code == 200
    assert _state(signature) == (V.COUNTED_ONLY, False)

    confirmed = client.post(path)
    assert confirmed.status_code in (200, 302)
    assert _state(signature) == after
    assert _notices() == {SIGNER_EMAIL, ADMIN_EMAIL}

    # Single use: narrowed again, the same link does not widen a second time.
    _post_visibility(client, signature, (V.COUNTED_ONLY, False))
    assert _state(signature) == (V.COUNTED_ONLY, False)
    again = client.post(path)
    assert again.status_code == 400
    assert _state(signature) == (V.COUNTED_ONLY, False)


@pytest.mark.django_db
def test_the_widening_link_expires_within_the_hour(client, signature):
    with signed_days_ago(2 / 24):
        path = _widen_link(client, signature, (V.PUBLIC, False))

    response = client.post(path)

    assert response.status_code == 400
    assert _state(signature) == (V.COUNTED_ONLY, False)


@pytest.mark.django_db
def test_withdrawing_by_link_tells_the_admins(client, signature):
    OutboundEmail.objects.all().delete()

    client.post(manage_path(signature), {"action": "withdraw", "confirm": "on"})

    signature.refresh_from_db()
    assert signature.status == Signature.Status.WITHDRAWN
    assert set(OutboundEmail.objects.values_list("kind", "to")) == {
        ("signature_withdrawn", SIGNER_EMAIL),
        ("signature_changed", ADMIN_EMAIL),
    }


# --- the service functions, per transition -------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(("before", "after"), PAIRS)
def test_narrow_visibility_refuses_every_widening(signature, before, after):
    from core.errors import NotAllowed

    _set(signature, before)
    if _wider(before, after):
        with pytest.raises(NotAllowed):
            services.narrow_visibility(
                signature=signature, visibility=after[0], show_signer_name=after[1]
            )
        assert _state(signature) == before
    else:
        services.narrow_visibility(
            signature=signature, visibility=after[0], show_signer_name=after[1]
        )
        assert _state(signature) == after


@pytest.mark.django_db
@pytest.mark.parametrize(("before", "after"), [p for p in PAIRS if _wider(*p)])
def test_a_widening_applies_only_through_its_token(signature, before, after):
    from core.errors import DomainError

    _set(signature, before)
    token = services.request_widening(
        signature=signature, visibility=after[0], show_signer_name=after[1]
    )

    services.confirm_widening(token=token)

    assert _state(signature) == after
    with pytest.raises(DomainError):
        services.confirm_widening(token=token)
    with pytest.raises(DomainError):
        services.confirm_widening(token=token[:-2] + "xx")


@pytest.mark.django_db
def test_the_widen_route_exists():
    assert reverse("letters:signature-widen", args=["x"])


@pytest.mark.django_db
def test_repeated_widening_requests_do_not_flood_the_signers_inbox(signature):
    """Whoever holds a forwarded manage link can ask to widen as often as they like; the signer
    gets one email while its link still works, not one per click."""
    from tests.letters.signing_helpers import signed_days_ago

    with signed_days_ago(60 / 86_400):  # a minute ago
        services.request_widening(signature=signature, visibility=V.PUBLIC, show_signer_name=True)
    for _click in range(3):
        services.request_widening(signature=signature, visibility=V.PUBLIC, show_signer_name=True)

    assert OutboundEmail.objects.filter(kind="signature_widen").count() == 1
