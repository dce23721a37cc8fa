"""The read API's fixtures: tokens for every role (and revoked, expired and made-up ones),
letters in every state with signatories of every visibility (tests/publication's), and a
client that sends a token."""

import datetime as dt
from dataclasses import dataclass

import pytest
from django.utils import timezone

from api import services as api_services
from api.models import ApiToken
from letters import services
from letters.models import Invitation, Letter
from tests.publication import conftest as publication_fixtures

owner = publication_fixtures.owner
editor = publication_fixtures.editor
other_coordinator = publication_fixtures.other_coordinator
make_letter = publication_fixtures.make_letter
hidden_and_named = publication_fixtures.hidden_and_named
published_with_list = publication_fixtures.published_with_list
sign_as = publication_fixtures.sign_as
SECRETS = publication_fixtures.SECRETS

S = Letter.Status
GARBAGE = "und_this-token-was-never-issued-by-anyone-000000000"

# Every role the API knows, as the holder of a token (or of none, or of a bad one).
ROLES = (
    "anonymous",
    "coordinator",
    "other_coordinator",
    "moderator",
    "signer",
    "revoked",
    "expired",
    "garbage",
)


def new_secret(user, name: str = "test", **kwargs) -> str:
    return api_services.create_token(user=user, name=name, **kwargs).secret


def auth(secret: str | None) -> dict:
    """The test client's keyword for the Authorization header."""
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"} if secret else {}


@pytest.fixture
def secrets_by_role(owner, other_coordinator, moderator, signer) -> dict[str, str | None]:
    """A token secret per role: the letters' owner (a coordinator), a coordinator of other
    letters, a moderator, a plain signer; a revoked and an expired token of the owner; one
    nobody issued."""
    revoked = api_services.create_token(user=owner, name="revoked")
    api_services.revoke_token(token=revoked.token, actor=owner)
    expired = api_services.create_token(user=owner, name="expired")
    ApiToken.objects.filter(pk=expired.token.pk).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    return {
        "anonymous": None,
        "coordinator": new_secret(owner),
        "other_coordinator": new_secret(other_coordinator),
        "moderator": new_secret(moderator),
        "signer": new_secret(signer),
        "revoked": revoked.secret,
        "expired": expired.secret,
        "garbage": GARBAGE,
    }


@dataclass
class Letters:
    published: Letter
    public_open: Letter
    embargoed: Letter
    closed_embargoed: Letter
    draft: Letter
    others_draft: Letter
    invitation: Invitation


@pytest.fixture
def letters(make_letter, owner, other_coordinator, hidden_and_named) -> Letters:
    """A published letter and an open one with a public list, both signed in every
    visibility; an open and a closed letter under embargo and a draft, each with signatures
    whose names must never be public; a draft of another coordinator; an invitation."""
    published = make_letter(S.CLOSED, title="Published letter")
    hidden_and_named(published)
    services.publish_letter(
        letter=published, actor=owner, delivered_to="The Secretary of State", method="by hand"
    )
    public_open = make_letter(S.OPEN, title="Open letter", signatories_public_while_open=True)
    sign_as(public_open, "Open Letter Public Signatory", based_in="Dharamsala")
    sign_as(public_open, "Open Letter Withheld Signatory", visibility="counted_only")
    embargoed = make_letter(S.OPEN, title="Embargoed letter")
    sign_as(embargoed, "Embargoed Public Signatory", based_in="Embargo Town")
    closed_embargoed = make_letter(S.CLOSED, title="Closed letter")
    sign_as(closed_embargoed, "Closed Embargoed Signatory")
    draft = make_letter(S.DRAFT, title="Draft letter")
    sign_as(draft, "Draft Letter Signatory")
    others_draft = services.create_letter(
        author=other_coordinator, title="Their draft", body="Theirs.", recipient="Someone"
    )
    invitation = services.invite(
        letter=public_open,
        actor=owner,
        email="invitee.contact@invited.example.net",
        organisation_name="Invited Organisation",
        contact_name="Invited Contact Person",
    )
    return Letters(
        published=Letter.objects.get(pk=published.pk),
        public_open=Letter.objects.get(pk=public_open.pk),
        embargoed=Letter.objects.get(pk=embargoed.pk),
        closed_embargoed=Letter.objects.get(pk=closed_embargoed.pk),
        draft=Letter.objects.get(pk=draft.pk),
        others_draft=others_draft,
        invitation=invitation,
    )


# Names no public answer may hold: tests/publication's secrets (recipient-only and
# counted-only organisations, their places, unnamed signers, every email), and every
# signatory of a list that is not public.
WITHHELD = (
    *SECRETS,
    "Open Letter Withheld Signatory",
    "Embargoed Public Signatory",
    "Embargo Town",
    "Closed Embargoed Signatory",
    "Draft Letter Signatory",
    "invitee.contact@invited.example.net",
    "Invited Contact Person",
)
