"""Shared pieces of the signing tests: a signature made through the service, the state a refused
request must leave unchanged, the links inside the emails, and tokens made in the past."""

import contextlib
import html
import re
import time
from collections.abc import Iterator

from django.core import signing
from django.urls import reverse

from audit.models import AuditEvent
from letters import services, tokens
from letters.models import Invitation, Letter, Signature
from organisations.models import EmailDomain, Organisation, same_name_q
from outbox.models import OutboundEmail
from tests.factories import EmailDomainFactory, OrganisationFactory

SITE_URL = "http://127.0.0.1:8000"
# States in which a typed name has no organisation yet (letters.models.Signature).
UNCONFIRMED_STATES = ("pending_confirmation", "expired", "withdrawn")
SIGNER_NAME = "Pema Dolma"
SIGNER_EMAIL = "pema@tibetaction.example.net"
NEW_ORGANISATION = "Tibetan Women's Association"


def open_mode_letter(make_letter, status: str = Letter.Status.OPEN, **kwargs) -> Letter:
    """A letter any organisation may ask to sign (the conftest's letters are invitation only)."""
    return make_letter(status, sign_on_mode=Letter.SignOnMode.OPEN, **kwargs)


def verified_organisation(name: str = "Tibet Watch", domain: str = "tibetwatch.example.net"):
    """A verified organisation with a verified email domain."""
    organisation = OrganisationFactory(name=name, is_verified=True)
    EmailDomainFactory(organisation=organisation, domain=domain, is_verified=True)
    return organisation


def sign(
    letter: Letter,
    *,
    organisation: Organisation | None = None,
    new_name: str = NEW_ORGANISATION,
    based_in: str = "Dharamsala",
    signer_name: str = SIGNER_NAME,
    signer_email: str = SIGNER_EMAIL,
    **kwargs,
) -> Signature:
    """services.sign_letter with a complete, valid submission unless told otherwise."""
    choice = (
        services.OrganisationChoice(organisation=organisation)
        if organisation is not None
        else services.OrganisationChoice(new_name=new_name, based_in=based_in)
    )
    kwargs.setdefault("consent", True)
    return services.sign_letter(
        letter=letter,
        organisation=choice,
        signer_name=signer_name,
        signer_email=signer_email,
        **kwargs,
    )


def in_state(signature: Signature, status: str) -> Signature:
    """Put a signature in `status` directly: the way there is not what the test is about.
    A typed name gets its organisation, as confirming would give it."""
    if signature.organisation_id is None and status not in UNCONFIRMED_STATES:
        organisation = Organisation.objects.filter(
            same_name_q(signature.proposed_organisation_name)
        ).first() or OrganisationFactory(
            name=signature.proposed_organisation_name, based_in=signature.proposed_based_in
        )
        signature.organisation = organisation  # in clear or encrypted, as its visibility asks
        signature.save(update_fields=["organisation"])
    Signature.objects.filter(pk=signature.pk).update(status=status)
    signature.refresh_from_db()
    return signature


def world() -> dict:
    """Everything a refused or read-only request must leave exactly as it was."""
    return {
        "signatures": list(
            Signature.objects.order_by("pk").values_list(
                "pk",
                "status",
                "public_organisation_id",
                "organisation_key",
                "version_id",
                "version_hash",
                "visibility",
                "show_signer_name",
                "confirmed_at",
                "withdrawn_at",
                "updated_at",
            )
        ),
        "organisations": list(
            Organisation.objects.order_by("pk").values_list("pk", "name", "is_verified")
        ),
        "domains": EmailDomain.objects.count(),
        "invitations": list(
            Invitation.objects.order_by("pk").values_list("pk", "status", "organisation_id")
        ),
        "emails": list(OutboundEmail.objects.order_by("pk").values_list("pk", "kind", "to")),
        "events": AuditEvent.objects.count(),
    }


def emails_of(kind: str) -> list[OutboundEmail]:
    return list(OutboundEmail.objects.filter(kind=kind).order_by("pk"))


def link_in(text: str, route: str) -> str:
    """The path of the one absolute link to `route` ("signatures/confirm", …) in an email."""
    # One path segment after the route: the invitation email also links to
    # invitations/<secret>/decline/ and …/forward/.
    found = re.findall(re.escape(SITE_URL) + r"(/letters/" + route + r"/[^\s\"<>/]+/)", text)
    assert len(set(found)) == 1, f"expected one {route} link, found {found}"
    return found[0]


def signature_token(signature: Signature, purpose: str, version: int | None = None) -> str:
    return tokens.make_signature_token(signature_id=signature.pk, purpose=purpose, version=version)


def confirm_path(signature: Signature) -> str:
    return reverse("letters:signature-confirm", args=[signature_token(signature, tokens.CONFIRM)])


def manage_path(signature: Signature) -> str:
    return reverse("letters:signature-manage", args=[signature_token(signature, tokens.MANAGE)])


def reconfirm_path(signature: Signature, version: int) -> str:
    return reverse(
        "letters:signature-reconfirm",
        args=[signature_token(signature, tokens.RECONFIRM, version=version)],
    )


@contextlib.contextmanager
def signed_days_ago(days: float) -> Iterator[None]:
    """Tokens made inside the block carry a timestamp `days` in the past: the link was sent
    then. Only the signer's clock moves; the request that reads the token runs in the present."""
    original = signing.TimestampSigner.timestamp

    def in_the_past(self) -> str:
        return signing.b62_encode(int(time.time() - days * 86_400))

    signing.TimestampSigner.timestamp = in_the_past
    try:
        yield
    finally:
        signing.TimestampSigner.timestamp = original


def sign_form_data(**overrides) -> dict:
    """A complete, valid POST of the public sign form; `None` leaves a field out."""
    data = {
        "organisation_name": NEW_ORGANISATION,
        "based_in": "Dharamsala",
        "signer_name": SIGNER_NAME,
        "signer_title": "Director",
        "signer_email": SIGNER_EMAIL,
        "visibility": Signature.Visibility.PUBLIC,
        "consent": "on",
        "website": "",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def text_of(response) -> str:
    """The page's text with tags kept and entities decoded, whitespace collapsed."""
    return html.unescape(re.sub(r"\s+", " ", response.content.decode()))
