"""Issue 12, item 4: from the manage page every signature email links to, a signer without an
account gets a copy of what is held about their address (emailed to that address) and has it
erased (confirmed from that address: a forwarded link destroys nothing). The organisation's
signature stays or is withdrawn as they choose; moderators see each request and its state."""

import json

import pytest
from django.urls import reverse

from letters import services, tokens
from letters.models import DataRequest, Letter, Signature
from outbox import services as outbox
from outbox.models import OutboundEmail
from tests.factories import LetterFactory, OrganisationFactory, make_coordinator, make_moderator
from tests.letters.signing_helpers import (
    in_state,
    link_in,
    manage_path,
    sign,
    signed_days_ago,
)

pytestmark = pytest.mark.django_db

NAME = "Gulnar Abdukadir"
EMAIL = "gulnar@itsc.example.org"


@pytest.fixture
def signature() -> Signature:
    letter = LetterFactory(sign_on_mode=Letter.SignOnMode.OPEN)
    signature = sign(
        letter,
        organisation=OrganisationFactory(name="Ilham Tohti Solidarity Circle"),
        signer_name=NAME,
        signer_title="Coordinator",
        signer_email=EMAIL,
        visibility="counted_only",
    )
    return in_state(signature, "approved")


def last_email(kind: str) -> OutboundEmail:
    return OutboundEmail.objects.filter(kind=kind).latest("pk")


def erase_path(client, signature, *, withdraw: bool = False) -> str:
    data = {"action": "erase"} | ({"withdraw": "on"} if withdraw else {})
    client.post(manage_path(signature), data)
    return link_in(outbox.live_bodies(last_email("signer_erasure")).text, "signatures/erase")


def counted(signature) -> int:
    return Signature.objects.filter(letter=signature.letter, status__in=Signature.COUNTED).count()


def test_the_manage_page_offers_a_copy_and_erasure(client, signature):
    page = client.get(manage_path(signature)).content.decode()

    assert "Email me a copy" in page
    assert "Erase my personal data" in page


def test_a_copy_is_emailed_to_the_signers_address_only(client, signature):
    response = client.post(manage_path(signature), {"action": "data_copy"})

    assert response.status_code == 302
    email = last_email("signer_data_copy")
    assert email.to == EMAIL
    data = json.loads(email.body_text[email.body_text.index("{") :])
    assert data["email"] == EMAIL
    assert [s["name"] for s in data["signatures"]] == [NAME]
    assert data["signatures"][0]["organisation"] == "Ilham Tohti Solidarity Circle"
    request = DataRequest.objects.get()
    assert (request.kind, request.state, request.signature) == ("signer_export", "done", signature)


def test_the_copy_is_delivered_then_not_kept(client, signature, mailoutbox):
    client.post(manage_path(signature), {"action": "data_copy"})
    email = last_email("signer_data_copy")

    assert outbox.deliver(email_id=email.pk).status == "sent"

    assert EMAIL in mailoutbox[-1].body
    assert NAME in mailoutbox[-1].body
    email.refresh_from_db()
    assert (email.to, email.body_text, email.body_html) == ("", "", "")
    assert email.reduced_at is not None
    assert email.to_hash == outbox.address_hash(EMAIL)


def test_asking_for_a_copy_again_and_again_sends_one(client, signature):
    for _ in range(3):
        client.post(manage_path(signature), {"action": "data_copy"})

    assert OutboundEmail.objects.filter(kind="signer_data_copy").count() == 1


def test_asking_for_erasure_changes_nothing_until_confirmed(client, signature):
    path = erase_path(client, signature)

    assert last_email("signer_erasure").to == EMAIL
    page = client.get(path)  # a mail scanner opening the link
    assert page.status_code == 200
    assert "Erase your personal data?" in page.content.decode()
    signature.refresh_from_db()
    assert (signature.signer_name, signature.signer_email) == (NAME, EMAIL)
    assert DataRequest.objects.get().state == "requested"


def test_confirmed_erasure_keeps_the_signature_counting(client, signature):
    before = counted(signature)
    path = erase_path(client, signature)

    response = client.post(path)

    assert response.status_code == 302
    signature.refresh_from_db()
    assert (signature.signer_name, signature.signer_title, signature.signer_email) == ("", "", "")
    assert signature.personal_data_erased_at is not None
    assert signature.status == "approved"
    assert counted(signature) == before
    assert DataRequest.objects.get(kind="signer_erasure").state == "done"
    # The outbox keeps no sent email to the address, and the link is spent.
    assert not OutboundEmail.objects.filter(
        to_hash=outbox.address_hash(EMAIL), status="sent"
    ).exists()
    assert client.post(path).status_code == 400


def test_erasure_with_withdrawal_stops_the_count(client, signature):
    before = counted(signature)

    client.post(erase_path(client, signature, withdraw=True))

    signature.refresh_from_db()
    assert signature.status == "withdrawn"
    assert signature.signer_email == ""
    assert counted(signature) == before - 1


@pytest.mark.parametrize("kind", ["forged", "expired", "other purpose"])
def test_a_bad_erasure_link_changes_nothing(client, signature, kind):
    state = services.data_requests._fingerprint(signature)
    if kind == "forged":
        token = "eyJzIjoxfQ:forged:signature"
    elif kind == "expired":
        with signed_days_ago(1 / 12):  # two hours ago: the link lives one
            token = tokens.make_erasure_token(signature_id=signature.pk, withdraw=True, state=state)
    else:
        token = tokens.make_signature_token(signature_id=signature.pk, purpose=tokens.MANAGE)
    path = reverse("letters:signature-erase", args=[token])

    assert client.get(path).status_code == 400
    response = client.post(path)

    assert response.status_code == 400
    assert "link" in response.content.decode().lower()
    signature.refresh_from_db()
    assert (signature.signer_email, signature.status) == (EMAIL, "approved")


def test_a_link_asked_before_a_change_no_longer_works(client, signature):
    path = erase_path(client, signature)
    services.narrow_visibility(
        signature=signature, visibility="counted_only", show_signer_name=False
    )  # no change: same state
    Signature.objects.filter(pk=signature.pk).update(status="withdrawn")

    assert client.post(path).status_code == 400
    signature.refresh_from_db()
    assert signature.signer_email == EMAIL


def test_moderators_see_the_requests_and_others_do_not(client, signature):
    client.post(manage_path(signature), {"action": "data_copy"})
    url = reverse("admin:letters_datarequest_changelist")

    assert client.get(url).status_code == 302  # anonymous: to the login
    client.force_login(make_coordinator(email="coord@undersigned.example.org"))
    assert client.get(url).status_code in (302, 403)
    client.force_login(make_moderator(email="mod@undersigned.example.org", is_staff=True))
    response = client.get(url)
    assert response.status_code == 200
    assert "copy of their data" in response.content.decode()
