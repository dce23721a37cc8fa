"""An organisation's public page lists the letters it signed: published ones, and open or
closed ones whose list is public — never a signature it asked to keep unnamed, never an
embargoed one, never one that is not approved."""

import pytest
from django.urls import reverse

from letters import services
from letters.models import Letter

from .conftest import V, sign_as, visible_text

pytestmark = pytest.mark.django_db

S = Letter.Status


def test_the_letters_an_organisation_signed_publicly(client, owner, make_letter):
    published = make_letter(S.CLOSED, title="Published letter")
    first = sign_as(published, "Tibet Watch")
    organisation = first.organisation
    services.publish_letter(letter=published, actor=owner)
    public_open = make_letter(
        S.OPEN, title="Open with public list", signatories_public_while_open=True
    )
    sign_as(public_open, "", organisation=organisation)
    for title, kwargs in [
        ("Embargoed letter", {"status": S.OPEN}),
        ("Recipient only letter", {"status": S.OPEN, "signatories_public_while_open": True}),
        ("Counted only letter", {"status": S.OPEN, "signatories_public_while_open": True}),
        ("Pending letter", {"status": S.OPEN, "signatories_public_while_open": True}),
        ("Withdrawn letter", {"status": S.OPEN, "signatories_public_while_open": True}),
    ]:
        letter = make_letter(kwargs.pop("status"), title=title, **kwargs)
        visibility = {
            "Recipient only letter": V.RECIPIENT_ONLY,
            "Counted only letter": V.COUNTED_ONLY,
        }.get(title, V.PUBLIC)
        status = {"Pending letter": "pending_review", "Withdrawn letter": "withdrawn"}.get(
            title, "approved"
        )
        sign_as(letter, "", organisation=organisation, visibility=visibility, status=status)

    response = client.get(organisation.get_absolute_url())

    text = visible_text(response)
    assert "Published letter" in text
    assert "Open with public list — collecting signatures" in text
    for hidden in (
        "Embargoed letter",
        "Recipient only letter",
        "Counted only letter",
        "Pending letter",
        "Withdrawn letter",
    ):
        assert hidden not in text, hidden
    assert f'href="{published.get_absolute_url()}"' in response.content.decode()


def test_an_organisation_that_signed_nothing_public_says_so(client, embargoed_letter):
    organisation = sign_as(embargoed_letter, "Quiet Group").organisation
    # Verified, so its page is public: a signature under embargo alone does not open it
    # (issue 11, item 4; tests/security/test_org_page_embargo.py).
    type(organisation).objects.filter(pk=organisation.pk).update(is_verified=True)

    text = visible_text(client.get(organisation.get_absolute_url()))

    assert "No public letter lists this organisation among its signatories." in text
    assert embargoed_letter.title not in text


@pytest.mark.parametrize("letters", [1, 20])
def test_the_organisation_page_takes_two_queries_however_many_letters(
    client, django_assert_num_queries, make_letter, letters
):
    organisation = None
    for n in range(letters):
        letter = make_letter(S.OPEN, title=f"Letter {n}", signatories_public_while_open=True)
        signature = sign_as(letter, "Tibet Watch", organisation=organisation)
        organisation = signature.organisation

    #   1. the organisation
    #   2. whether it is named on a public list (it is unverified: that makes its page public)
    #   3. the letters it signed publicly (letters' publication_tags)
    with django_assert_num_queries(3):
        response = client.get(reverse("organisations:detail", args=[organisation.slug]))

    assert len(response.context["organisation"].name) > 0
    assert visible_text(response).count("collecting signatures") == letters
