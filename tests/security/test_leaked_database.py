"""Issue 11, item 8: a copy of the database opens no link.

Every email leaves through the outbox, which kept each body whole: invitation, confirmation,
manage, membership and password-reset links, working, readable in the admin and in every
backup. After a full flow — invite, sign, confirm, manage, join an organisation, reset a
password — this dumps every column of every table as text, queued and after delivery, and
checks that no secret of a link that was sent appears in it, and that no link found in it
opens anything: each answers exactly as a link with a made-up secret does."""

import re
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.test import Client
from django.urls import Resolver404, resolve, reverse

from letters import services
from organisations.models import Membership
from organisations.services import invite_member
from outbox import services as outbox
from outbox.models import OutboundEmail
from tests.emails import html_body, subject_of, text_body
from tests.factories import MembershipFactory, UserFactory
from tests.letters.conftest import editor, make_letter, owner  # noqa: F401 - fixtures
from tests.letters.signing_helpers import (
    SITE_URL,
    open_mode_letter,
    sign,
    verified_organisation,
)

# The URL arguments that carry a link's secret (letters, organisations, allauth).
SECRET_ARGUMENTS = {"token", "secret", "key"}
URL = re.compile(re.escape(SITE_URL) + r"(/[^\s\"'<>]*)")
PATH = re.compile(r"(/(?:letters|organisations|accounts)/[^\s\"'<>]*)")


def dump() -> str:
    """Every row of every table, as PostgreSQL prints it."""
    rows = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT t::text FROM "{table}" t')  # noqa: S608 - our own tables
            rows += [f"{table}: {row}" for (row,) in cursor.fetchall()]
    return "\n".join(rows)


def stored_bodies() -> str:
    """The outbox's subjects and bodies as the app reads them, decrypted: what a thief holding
    the encryption key as well would see."""
    return "\n".join(
        part
        for email in OutboundEmail.objects.all()
        for part in (email.subject, email.body_text, email.body_html)
    )


def _secret_arguments(path: str) -> dict[str, str] | None:
    """The secret arguments of a link to this site, or None if its route has none."""
    for candidate in (path, path.rstrip(".,;:!?)]")):
        try:
            match = resolve(urlsplit(candidate).path)
        except Resolver404:
            continue
        found = {k: v for k, v in match.kwargs.items() if k in SECRET_ARGUMENTS}
        return found or None
    return None


def deliver_all(smtp_server) -> list[str]:
    """Send every queued row; the bodies of what the SMTP server received."""
    before = len(smtp_server.messages)
    for pk in OutboundEmail.objects.filter(status="queued").values_list("pk", flat=True):
        outbox.deliver(email_id=pk)
    received = smtp_server.messages[before:]
    return [subject_of(m) + "\n" + text_body(m) + "\n" + _html(m) for m in received]


def _html(message) -> str:
    try:
        return html_body(message)
    except AssertionError:  # an email without an HTML part
        return ""


def live_links(bodies: list[str]) -> dict[str, dict[str, str]]:
    return {
        path: arguments
        for body in bodies
        for path in URL.findall(body)
        if (arguments := _secret_arguments(path))
    }


def _answer(client: Client, path: str) -> tuple[int, tuple[str, ...]]:
    response = client.get(path)
    return response.status_code, tuple(t.name for t in response.templates or [])


def _made_up(path: str, arguments: dict[str, str]) -> str:
    for value in arguments.values():
        path = path.replace(value, "A" * len(value))
    return path


@pytest.mark.django_db
def test_a_leaked_database_opens_no_link(client, smtp_server, make_letter, owner):  # noqa: F811
    letter = open_mode_letter(make_letter)
    # An invitation; a public signature (confirm and manage links); a membership invitation;
    # a password reset.
    services.invite(
        letter=letter,
        actor=owner,
        email="ama@freepress.example.net",
        organisation_name="Free Press Unit",
        contact_name="Ama",
    )
    signature = sign(letter)
    organisation = verified_organisation()
    admin = UserFactory(email="admin@tibetwatch.example.net")
    MembershipFactory(organisation=organisation, user=admin, role=Membership.Role.ADMIN)
    invite_member(
        organisation=organisation,
        email="new@tibetwatch.example.net",
        role=Membership.Role.MEMBER,
        actor=admin,
    )
    Client().post(reverse("account_reset_password"), {"email": admin.email})

    queued = dump()
    queued_bodies = stored_bodies()
    sent = deliver_all(smtp_server)
    links = live_links(sent)
    assert {"letters", "organisations", "accounts"} <= {p.split("/")[1] for p in links}

    # The signer confirms, then asks to show the organisation more widely (a widening link).
    confirm = next(p for p in links if "/signatures/confirm/" in p)
    assert Client().post(confirm).status_code == 200
    manage = next(p for p in links if "/signatures/manage/" in p)
    Client().post(
        manage, {"action": "visibility", "visibility": "public", "show_signer_name": "on"}
    )
    links |= live_links(deliver_all(smtp_server))
    assert any("/signatures/widen/" in p for p in links)
    signature.refresh_from_db()

    after = dump()
    after_bodies = stored_bodies()
    # The outbox is encrypted (issue 12): a copy of the database shows no link at all.
    assert not [p for t in (queued, after) for p in URL.findall(t) if _secret_arguments(p)]
    for leaked in (queued, after, queued_bodies, after_bodies):
        for path, arguments in links.items():
            for name, value in arguments.items():
                assert value not in leaked, f"the {name} of {path} is in the database"

    # With the encryption key as well, the bodies keep links without their secrets.
    found = {
        path
        for text in (queued, after, queued_bodies, after_bodies)
        for path in URL.findall(text) + PATH.findall(text)
    }
    tried = 0
    for path in found:
        arguments = _secret_arguments(path)
        if arguments is None:
            continue
        tried += 1
        assert _answer(Client(), path) == _answer(Client(), _made_up(path, arguments)), path
    assert tried, "the stored bodies keep their links (with the secret left out)"
