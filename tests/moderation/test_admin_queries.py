"""The other moderation pages take the same number of queries whatever their size: every
signature, the audit trail, the organisations (with their domains), the merge preview."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from letters import services
from letters.models import Signature
from tests.factories import EmailDomainFactory, MembershipFactory, OrganisationFactory

from .conftest import bulk_pending, make_open_letter

pytestmark = pytest.mark.django_db


def _queries(client, url: str) -> int:
    client.get(url)  # warm the session and the content types
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_every_signature_list(client, moderator, letter):
    client.force_login(moderator)
    url = reverse("admin:letters_signature_changelist")
    bulk_pending(letter, 3)
    few = _queries(client, url)

    ids = bulk_pending(letter, 60, prefix="More Organisation")
    Signature.objects.filter(pk__in=ids[:20]).update(status=Signature.Status.APPROVED)

    assert _queries(client, url) == few


def test_the_audit_trail(client, moderator, letter):
    client.force_login(moderator)
    url = reverse("admin:audit_auditevent_changelist")
    ids = bulk_pending(letter, 3)
    services.decide_signatures(signature_ids=ids, moderator=moderator, approve=True)
    few = _queries(client, url)

    more = bulk_pending(letter, 60, prefix="More Organisation")
    services.decide_signatures(signature_ids=more, moderator=moderator, approve=True)

    assert _queries(client, url) == few


def test_the_organisations_with_their_domains(client, moderator):
    client.force_login(moderator)
    url = reverse("admin:organisations_organisation_changelist")
    for i in range(3):
        EmailDomainFactory(organisation=OrganisationFactory(), domain=f"a{i}.example.net")
    few = _queries(client, url)

    for i in range(40):
        organisation = OrganisationFactory()
        EmailDomainFactory(organisation=organisation, domain=f"b{i}.example.net")
        EmailDomainFactory(organisation=organisation, domain=f"c{i}.example.net")

    assert _queries(client, url) == few


def test_the_merge_preview(client, moderator, owner):
    client.force_login(moderator)
    source = OrganisationFactory(name="Tibet Watch Intl")
    target = OrganisationFactory(name="Tibet Watch")
    url = (
        reverse("admin:organisations_organisation_merge")
        + f"?source={source.pk}&target={target.pk}"
    )
    few = None
    for i in range(6):
        if i == 1:  # measured with one letter signed by both, then five more
            few = _queries(client, url)
        letter = make_open_letter(owner, title=f"Letter {i}")
        for organisation in (source, target):
            services.sign_letter(
                letter=letter,
                organisation=services.OrganisationChoice(organisation=organisation),
                signer_name="Signer",
                signer_email=f"s{i}@{organisation.slug}.example.net",
                consent=True,
            )
        MembershipFactory(organisation=source)
        EmailDomainFactory(organisation=source, domain=f"d{i}.example.net")

    assert _queries(client, url) == few
