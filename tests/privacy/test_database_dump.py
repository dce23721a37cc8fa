"""Issue 12, "Done when": a copy of the database, taken after the demo and a full signing
flow, names no signer and no organisation that exists only because of a withheld signature;
with the key, the same data renders every page, export and admin screen as before.

The dump is every row of every table as PostgreSQL prints it (`SELECT t::text`), so no column
is forgotten: a table added later is in it too. That no live link secret is in it either is
tried link by link in tests/security/test_leaked_database.py."""

import difflib
import re
from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from accounts.models import User
from letters import services
from letters.models import Letter, Signature
from organisations.models import Membership, Organisation
from organisations.names import normalise_name
from tests.factories import MembershipFactory
from tests.letters.conftest import editor, make_letter, owner  # noqa: F401 - fixtures
from tests.letters.signing_helpers import open_mode_letter, sign

pytestmark = pytest.mark.django_db

WITHHELD = {Signature.Visibility.RECIPIENT_ONLY, Signature.Visibility.COUNTED_ONLY}


def dump() -> dict[str, str]:
    """Every row of every table, as PostgreSQL prints it, by table."""
    tables = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT t::text FROM "{table}" t')  # noqa: S608 - our own tables
            tables[table] = "\n".join(row for (row,) in cursor.fetchall())
    return tables


@pytest.fixture
def demo(settings):
    settings.DEBUG = True
    call_command("load_demo", stdout=StringIO())


@pytest.fixture
def flow(demo, make_letter, owner):  # noqa: F811
    """A full signing flow on top of the demo: a new organisation signs counted-only by its
    typed name, a registered one recipient-only, a public one narrows to counted-only; they
    confirm, are approved, and the letter is published."""
    letter = open_mode_letter(make_letter)
    moderator = User.objects.get(email="moderator@demo.undersigned.test")
    typed = sign(
        letter,
        new_name="Ilham Tohti Solidarity Circle",
        based_in="Almaty",
        signer_name="Gulnar Abdukadir",
        signer_email="gulnar@itsc.example.org",
        visibility="counted_only",
    )
    registered = sign(
        letter,
        # Registered by its staff before signing: it exists apart from the signature.
        organisation=MembershipFactory(organisation__name="Kashgar Families Network").organisation,
        signer_name="Rahima Mahmut",
        signer_email="rahima@kfn.example.org",
        visibility="recipient_only",
    )
    narrowed = sign(
        letter,
        new_name="Tsering Legal Aid",
        signer_name="Tsering Dorje",
        signer_email="tsering@tla.example.org",
    )
    for signature in (typed, registered, narrowed):
        services.confirm_signature(signature=signature)
    services.narrow_visibility(
        signature=narrowed, visibility="counted_only", show_signer_name=False
    )
    services.decide_signatures(
        signature_ids=[typed.pk, registered.pk, narrowed.pk], moderator=moderator, approve=True
    )
    letter.refresh_from_db()
    services.close_letter(letter=letter, actor=owner)
    services.publish_letter(letter=Letter.objects.get(pk=letter.pk), actor=owner)
    return letter


def withheld_only_organisations() -> list[Organisation]:
    """Organisations whose only trace is a withheld signature: never verified, no member, no
    public signature, and every signature of theirs withheld."""
    signatures: dict[int, list[Signature]] = {}
    for signature in Signature.objects.with_organisations():
        if signature.organisation is not None:
            signatures.setdefault(signature.organisation.pk, []).append(signature)
    members = set(Membership.objects.values_list("organisation_id", flat=True))
    return [
        organisation
        for organisation in Organisation.objects.filter(pk__in=signatures, is_verified=False)
        if organisation.pk not in members
        and all(s.visibility in WITHHELD for s in signatures[organisation.pk])
    ]


def test_a_copy_of_the_database_names_no_signer_and_no_withheld_organisation(flow):
    tables = dump()
    stored = "\n".join(tables.values())

    signers = {
        value
        for signature in Signature.objects.all()
        for value in (signature.signer_email, signature.signer_name)
        if value
    }
    hidden = withheld_only_organisations()
    assert signers
    assert {"Ilham Tohti Solidarity Circle", "Tsering Legal Aid"} <= {o.name for o in hidden}
    assert "Kashgar Families Network" not in {o.name for o in hidden}  # registered before
    found = sorted(v for v in signers if v in stored)
    where = {table for table, rows in tables.items() for v in found if v in rows}
    assert found == [], f"signers in clear: {found[:10]}, in {sorted(where)}"
    for organisation in hidden:
        for value in {organisation.name, normalise_name(organisation.name)}:
            where = sorted(table for table, rows in tables.items() if value in rows)
            assert not where, f"{value!r} in clear in {where}"


# What differs from one response to the next whatever the data: CSRF tokens, CSP nonces.
# And how long ago, which moves on while the test runs.
PER_RESPONSE = re.compile(
    r'(value="[A-Za-z0-9]{64}"|nonce="[^"]+"|(?:\d+|an?)[\s\xa0]+(?:second|minute)s?[\s\xa0]+ago|>now<)'
)


def _pages(client, letter) -> dict[str, str]:
    """The pages that read what is encrypted, as text without the per-response CSRF token."""
    moderator = User.objects.get(email="moderator@demo.undersigned.test")
    coordinator = letter.coordinators.first().user
    pages = {}
    urls_for = {
        coordinator: [
            reverse("letters:detail", args=[letter.slug]),
            reverse("letters:letter-signatures", args=[letter.slug]),
            reverse("letters:csv-coordinator", args=[letter.slug]),
        ],
        moderator: [
            reverse("admin:letters_signature_changelist"),
            reverse("admin:letters_pendingsignature_changelist"),
            reverse("admin:organisations_organisation_changelist"),
            *[
                reverse("admin:letters_signature_change", args=[s.pk])
                for s in Signature.objects.filter(letter=letter)
            ],
        ],
    }
    for user, urls in urls_for.items():
        client.force_login(user)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, url
            body = b"".join(response) if response.streaming else response.content
            pages[url] = PER_RESPONSE.sub("", body.decode())
    return pages


def _without_relative_times(page: str) -> str:
    return re.sub(r"(<time [^>]*>)[^<]*(</time>)", r"\1\2", page)


def test_with_the_key_every_screen_reads_as_before(client, flow, settings):
    before = _pages(client, flow)
    assert (
        "Kashgar Families Network" in before[reverse("letters:csv-coordinator", args=[flow.slug])]
    )

    # Everything re-encrypted under a new key, the old one dropped: what renders is the same.
    settings.FIELD_ENCRYPTION_KEYS = [
        Fernet.generate_key().decode(),
        *settings.FIELD_ENCRYPTION_KEYS,
    ]
    call_command("rotate_encryption_keys", stdout=StringIO())
    settings.FIELD_ENCRYPTION_KEYS = settings.FIELD_ENCRYPTION_KEYS[:1]

    after = _pages(client, flow)
    for url, page in before.items():
        # "1 second ago" becomes "2 seconds ago" while the keys rotate: the <time> element's
        # machine-readable datetime is compared, its relative wording is not.
        page, later = (_without_relative_times(text) for text in (page, after[url]))
        diff = "\n".join(
            difflib.unified_diff(page.splitlines(), later.splitlines(), lineterm="", n=0)
        )
        assert not diff, f"{url} changed:\n{diff[:2000]}"
