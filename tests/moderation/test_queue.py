"""The moderators' queue: what it lists, in which order, what it shows beside each signature,
its filters and search, and its constant number of queries."""

import datetime as dt
import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from letters import services
from letters.models import Signature
from tests.factories import EmailDomainFactory, OrganisationFactory

from .conftest import bulk_pending, make_open_letter, sign_and_confirm

pytestmark = pytest.mark.django_db

QUEUE = reverse("admin:letters_pendingsignature_changelist")


def rows(response) -> list[str]:
    """The organisation of each row, in the order shown."""
    return [str(s.organisation) for s in response.context["cl"].result_list]


def text(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", response.content.decode()))


@pytest.fixture
def hrw(db):
    """A verified organisation with a verified domain, as the demo's Human Rights Watch."""
    organisation = OrganisationFactory(name="Human Rights Watch", acronym="HRW", is_verified=True)
    EmailDomainFactory(organisation=organisation, domain="hrw.example.org", is_verified=True)
    return organisation


def test_the_queue_lists_only_signatures_awaiting_review_oldest_first(
    client, moderator, letter, other_letter
):
    # Given signatures awaiting review on two letters, confirmed at different times
    sign_and_confirm(letter, name="Newer Rights", email="a@newer.example.net")
    older = sign_and_confirm(other_letter, name="Older Rights", email="b@older.example.net")
    Signature.objects.filter(pk=older.pk).update(confirmed_at=timezone.now() - dt.timedelta(days=2))
    # and signatures in every other state
    approved = sign_and_confirm(letter, name="Approved Rights", email="c@approved.example.net")
    Signature.objects.filter(pk=approved.pk).update(status=Signature.Status.APPROVED)
    sign_and_confirm(letter, name="Rejected Rights", email="d@rejected.example.net")
    Signature.objects.filter(public_organisation__name="Rejected Rights").update(status="rejected")
    from letters import services

    services.sign_letter(
        letter=letter,
        organisation=services.OrganisationChoice(new_name="Unconfirmed Rights"),
        signer_name="U",
        signer_email="u@unconfirmed.example.net",
        consent=True,
    )
    client.force_login(moderator)

    # When the moderator opens the queue
    response = client.get(QUEUE)

    # Then only the two awaiting review are listed, the longest-waiting first
    assert response.status_code == 200
    assert rows(response) == ["Older Rights", "Newer Rights"]


def test_each_row_shows_letter_organisation_signer_authority_and_domain_match(
    client, moderator, letter, hrw
):
    # Given a signature from an address at the organisation's verified domain, under the
    # review-every-signature policy, and one from a personal address
    at_domain = sign_and_confirm(
        letter, organisation=hrw, email="dana@hrw.example.org", signer="Dana Hill"
    )
    other = make_open_letter(at_domain.letter.coordinators.first().user, title="Second letter")
    sign_and_confirm(other, organisation=hrw, email="dana.hill@gmail.com", signer="Dana Hill")
    client.force_login(moderator)

    # When the moderator opens the queue
    page = text(client.get(QUEUE))

    # Then each row says who signed what, and whether the address proves anything
    assert "Raise human rights in Beijing" in page
    assert "Second letter" in page
    assert 'Human Rights Watch</a> <span class="mod-badge mod-ok">verified</span>' in page
    assert "hrw.example.org ✓" in page
    assert "Dana Hill" in page
    assert "dana@hrw.example.org" in page
    assert "Verified email domain" in page  # how authority was established
    assert "hrw.example.org: a verified domain of the organisation" in page
    assert "gmail.com: a public mail service" in page


def test_warnings_flag_a_likely_duplicate_that_already_signed_under_another_name(
    client, moderator, letter, hrw
):
    # Given Human Rights Watch signed the letter, and then "Human-Rights Watch Intl", a new
    # organisation, asks to sign it from an address at HRW's verified domain
    approved = sign_and_confirm(letter, organisation=hrw, email="dana@hrw.example.org")
    Signature.objects.filter(pk=approved.pk).update(status=Signature.Status.APPROVED)
    duplicate = sign_and_confirm(
        letter, name="Human-Rights Watch Intl", email="press@hrw.example.org"
    )
    client.force_login(moderator)

    # When the moderator opens the queue
    response = client.get(QUEUE)

    # Then the row warns of all three things
    [row] = response.context["cl"].result_list
    assert row.pk == duplicate.pk
    assert [o.name for o in row.review.duplicates] == ["Human Rights Watch"]
    assert [s.pk for s in row.review.signed_as] == [approved.pk]
    assert row.review.domain_owner == hrw
    assert row.review.is_new is True
    page = text(response)
    assert "Already signed this letter as:" in page
    assert "Possible duplicate of:" in page
    assert "The signer's domain is verified for: Human Rights Watch" in page
    assert "New: unverified, never approved" in page


def test_an_organisation_approved_before_and_a_distinct_name_raise_no_warning(
    client, moderator, letter, other_letter
):
    # Given an unverified organisation a moderator approved on another letter
    first = sign_and_confirm(other_letter, name="Lantern Collective", email="x@lantern.example.net")
    Signature.objects.filter(pk=first.pk).update(status=Signature.Status.APPROVED)
    OrganisationFactory(name="Harbour Lights Legal Aid")  # unrelated name
    sign_and_confirm(letter, organisation=first.organisation, email="y@lantern.example.net")
    client.force_login(moderator)

    # When the moderator opens the queue
    [row] = client.get(QUEUE).context["cl"].result_list

    # Then nothing is flagged
    assert row.review.has_warnings is False


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("letter=FIRST", ["Alpha Rights", "Beta Rights"]),
        ("letter=SECOND", ["Gamma Rights"]),
        ("authority=verified_domain", ["Gamma Rights"]),
        ("authority=none", ["Alpha Rights", "Beta Rights"]),
        ("verified=yes", ["Gamma Rights"]),
        ("verified=no", ["Alpha Rights", "Beta Rights"]),
        ("q=beta", ["Beta Rights"]),  # organisation
        ("q=Zhang", ["Alpha Rights"]),  # signer
        ("q=gamma.example", ["Gamma Rights"]),  # email
    ],
)
def test_filters_and_search(client, moderator, letter, other_letter, query, expected):
    sign_and_confirm(letter, name="Alpha Rights", email="wei@alpha.example.net", signer="Wei Zhang")
    sign_and_confirm(letter, name="Beta Rights", email="b@beta.example.net")
    gamma = OrganisationFactory(name="Gamma Rights", is_verified=True)
    EmailDomainFactory(organisation=gamma, domain="gamma.example.net", is_verified=True)
    sign_and_confirm(other_letter, organisation=gamma, email="g@gamma.example.net")
    query = query.replace("FIRST", str(letter.pk)).replace("SECOND", str(other_letter.pk))
    client.force_login(moderator)

    response = client.get(f"{QUEUE}?{query}")

    assert response.status_code == 200
    assert sorted(rows(response)) == expected


def test_the_letter_filter_counts_signatures_awaiting_review_per_letter(
    client, moderator, letter, other_letter
):
    bulk_pending(letter, 3)
    bulk_pending(other_letter, 2, prefix="Other Organisation")
    client.force_login(moderator)

    response = client.get(QUEUE)

    [letter_filter] = [f for f in response.context["cl"].filter_specs if f.title == "letter"]
    assert letter_filter.lookup_choices == [
        (str(other_letter.pk), "Free the Hong Kong 47 (2)"),
        (str(letter.pk), "Raise human rights in Beijing (3)"),
    ]


def _queue_queries(client, moderator) -> list[str]:
    client.force_login(moderator)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(QUEUE)
    assert response.status_code == 200
    return [q["sql"] for q in captured.captured_queries]


def test_the_queue_takes_the_same_queries_for_5_or_100_rows(
    client, moderator, letter, other_letter, django_assert_num_queries
):
    # Given five signatures awaiting review
    bulk_pending(letter, 5)
    client.force_login(moderator)
    # (the first request warms the session and the content types)
    client.get(QUEUE)

    # Then the page takes, whatever its size:
    #  1 session, 2 user, 3 the authenticator (2FA middleware), 4 permissions given to the
    #  user, 5 permissions of their groups, 6 the letter filter's counts, 7 the paginator's
    #  count, 8 the page's signatures with their letter and organisation, 9-12 review notes
    #  (the organisations' email domains and the owners of the signers' domains; which were
    #  approved before, found by their keyed indexes, one per letter: 13 the letters' ids;
    #  duplicate candidates; live signatures on the same letters), 14 the user's groups
    #  (navigation: is a moderator)
    with django_assert_num_queries(14):
        small = client.get(QUEUE)
    # and with a full page of a hundred, from two letters
    bulk_pending(other_letter, 95, prefix="More Organisation")
    with django_assert_num_queries(14):
        full = client.get(QUEUE)
    assert len(small.context["cl"].result_list) == 5
    assert len(full.context["cl"].result_list) == 100


# --- A queue link to a signature decided since -------------------------------------------------


def test_a_queue_link_to_a_decided_signature_leads_to_its_page(client, moderator, pending):
    # Given a digest's link to a signature in the queue, and another moderator's approval since
    link = reverse("admin:letters_pendingsignature_change", args=[pending.pk])
    services.decide_signatures(signature_ids=[pending.pk], moderator=moderator, approve=True)
    client.force_login(moderator)

    response = client.get(link, follow=True)

    # Then the moderator lands on the signature's own page, told why, not "Perhaps it was
    # deleted?"
    assert response.redirect_chain == [
        (reverse("admin:letters_signature_change", args=[pending.pk]), 302)
    ]
    page = response.content.decode()
    assert "This signature is no longer awaiting review. Its status now: Approved." in page
    assert "Perhaps it was deleted" not in page


def test_a_queue_link_to_a_signature_that_never_existed_says_so(client, moderator):
    client.force_login(moderator)

    response = client.get(reverse("admin:letters_pendingsignature_change", args=[987654]))

    # The admin's own answer: back to the admin index with its message, nothing invented
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")


def test_a_coordinator_without_admin_access_learns_nothing_from_a_queue_link(
    client, coordinator, pending
):
    client.force_login(coordinator)

    response = client.get(reverse("admin:letters_pendingsignature_change", args=[pending.pk]))

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_the_queues_times_are_valid_html_datetimes(client, moderator, pending):
    # HTML's <time datetime> takes at most three digits of a second's fraction (Nu checker)
    client.force_login(moderator)

    page = client.get(reverse("admin:letters_pendingsignature_changelist")).content.decode()

    values = re.findall(r'<time datetime="([^"]+)"', page)
    assert values
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", v) for v in values), values
