"""The letter page reads its list from the cache, in a constant number of queries from 10 to
10,000 signatories, and every change that should show does show at once: the services bump
the letter's list_version (or change the letter itself) in the same transaction."""

import pytest
from django.urls import reverse
from django.utils import timezone

from letters import services, tokens
from letters.models import Letter, LetterVersion, Signature
from organisations import services as organisation_services
from organisations.models import Membership, Organisation
from organisations.names import normalise_name
from tests.factories import OrganisationFactory, make_moderator
from tests.letters.signing_helpers import text_of

from .conftest import V, sign_as, visible_text

pytestmark = pytest.mark.django_db

S = Letter.Status


def bulk_signatories(letter: Letter, count: int, *, visibility: str = V.PUBLIC) -> None:
    """`count` approved signatories in one INSERT each for organisations and signatures."""
    start = Organisation.objects.count()
    places = ["Tibet", "Hong Kong", "East Turkestan", "China", "UK", "USA"]
    organisations = Organisation.objects.bulk_create(
        [
            Organisation(
                name=f"Bulk Organisation {n:05d}",
                normalised_name=normalise_name(f"Bulk Organisation {n:05d}"),
                slug=f"bulk-organisation-{n:05d}",
                based_in=places[n % len(places)],
            )
            for n in range(start, start + count)
        ],
        batch_size=2000,
    )
    version = LetterVersion.objects.get(letter=letter, is_current=True)
    now = timezone.now()
    Signature.objects.bulk_create(
        [
            Signature(
                letter=letter,
                organisation=organisation,
                version=version,
                version_hash=version.content_hash,
                signer_name="Bulk Signer",
                signer_email=f"bulk{organisation.pk}@example.net",
                visibility=visibility,
                status=Signature.Status.APPROVED,
                consented_at=now,
                confirmed_at=now,
                decided_at=now,
            )
            for organisation in organisations
        ],
        batch_size=2000,
    )


@pytest.mark.parametrize("signatories", [10, 10_000])
def test_the_letter_page_takes_the_same_queries_from_10_to_10000_signatories(
    client, django_assert_num_queries, owner, make_letter, signatories
):
    letter = make_letter(S.OPEN, signatories_public_while_open=True)
    lead = OrganisationFactory(name="A Lead Organisation")
    services.update_letter(letter=letter, actor=owner, lead_organisations=[lead])
    bulk_signatories(letter, signatories)
    url = letter.get_absolute_url()

    # The first visitor, with nothing cached:
    #   1. the letter's stamp (selectors.public_letter_stamp): the page is not cached yet
    #   2. the letter by its slug
    #   3. its current version with its author (prefetch)
    #   4. its lead organisations (prefetch: the header, and the list puts them first)
    #   5. its current translations (which texts the page offers)
    #   6. the approved signatures with their organisations, one row each (then cached)
    #   7. every version, for the table of SHA-256 fingerprints
    with django_assert_num_queries(7):
        first = client.get(url)
    # Every visitor after: the letter's stamp (its list_version and updated_at key the page)
    with django_assert_num_queries(1):
        second = client.get(url)
    # A logged-in visitor's page is rendered for them, but the list still comes from the cache
    client.force_login(owner)
    with django_assert_num_queries(10):
        # session, user, groups, authenticators (staff 2FA), the letter, the coordinator role,
        # current version, lead organisations, versions, translations
        logged_in = client.get(url)

    assert first.content == second.content
    assert f"Signed by {signatories:,} organisations from 6 places." in text_of(second)
    assert f"Signed by {signatories:,} organisations from 6 places." in text_of(logged_in)


@pytest.mark.parametrize("signatories", [10, 10_000])
def test_a_published_letter_page_takes_the_same_queries_from_10_to_10000(
    client, django_assert_num_queries, owner, make_letter, signatories
):
    letter = make_letter(S.CLOSED)
    bulk_signatories(letter, signatories)
    services.publish_letter(letter=letter, actor=owner)
    url = letter.get_absolute_url()

    #   1. the letter's stamp (selectors.public_letter_stamp): the page is not cached yet
    #   2. the letter
    #   3. the delivery record with its frozen list and version
    #   4. the signatures withdrawn since (marked on the record)
    #   5–8. current version, lead organisations, versions, translations
    #   9. its responses and updates (issue 17)
    with django_assert_num_queries(9):
        client.get(url)
    with django_assert_num_queries(1):
        response = client.get(url)

    assert f"Signed by {signatories:,} organisations from 6 places." in text_of(response)


@pytest.mark.parametrize("signatories", [10, 10_000])
def test_the_embed_and_the_csv_take_the_same_queries(
    client, django_assert_num_queries, make_letter, signatories
):
    letter = make_letter(S.OPEN, signatories_public_while_open=True)
    bulk_signatories(letter, signatories)
    client.get(letter.get_absolute_url())  # warms the cache

    # The list is cached: the letter's stamp, and the letter to render the embed (then kept)
    with django_assert_num_queries(2):
        embed = client.get(reverse("letters:embed", args=[letter.slug]))
    # Every request after: the stamp alone
    with django_assert_num_queries(1):
        client.get(reverse("letters:embed", args=[letter.slug]))
    with django_assert_num_queries(1):  # the letter
        csv = client.get(reverse("letters:csv", args=[letter.slug]))
        rows = b"".join(csv.streaming_content).decode().splitlines()

    assert f"Signed by {signatories:,} organisations" in embed.content.decode()
    # The count in a comment line, the header, then one row per organisation
    assert rows[0] == f"\ufeff# Signed by {signatories:,} organisations from 6 places."
    assert len(rows) == 2 + signatories


def test_the_page_is_served_from_the_cache_until_a_service_says_it_changed(
    client, public_open_letter
):
    signature = sign_as(public_open_letter, "Original Name")
    url = public_open_letter.get_absolute_url()
    client.get(url)

    # A change behind the services' back is not seen: the list is cached…
    Organisation.objects.filter(pk=signature.organisation_id).update(name="Changed Behind")
    cached = client.get(url)
    # …until a service invalidates it
    services.publication.invalidate_public_list(letter_ids=[public_open_letter.pk])
    fresh = client.get(url)

    assert "Original Name" in cached.content.decode()
    assert "Changed Behind" in fresh.content.decode()


# --- Every change that should show, shows at once ---------------------------------------------


def _page(client, letter: Letter, **params) -> str:
    return visible_text(client.get(letter.get_absolute_url(), params))


def _warm(client, letter: Letter) -> str:
    """Fill every cache the page uses, and return the page."""
    _page(client, letter, order="name")
    return _page(client, letter)


def test_an_approval_shows(client, public_open_letter):
    signature = sign_as(public_open_letter, "Newly Approved", status="pending_review")
    before = _warm(client, public_open_letter)

    services.approve_signature(signature=signature, moderator=make_moderator())

    assert "Newly Approved" not in before
    assert "Newly Approved" in _page(client, public_open_letter)
    assert "Newly Approved" in _page(client, public_open_letter, order="name")


def test_an_automatic_approval_at_confirmation_shows(client, make_letter):
    from tests.letters.signing_helpers import sign, verified_organisation

    letter = make_letter(
        S.OPEN,
        signatories_public_while_open=True,
        sign_on_mode=Letter.SignOnMode.OPEN,
        moderation_policy=Letter.ModerationPolicy.AUTO_VERIFIED,
    )
    organisation = verified_organisation("Tibet Watch", "tibetwatch.example.net")
    signature = sign(letter, organisation=organisation, signer_email="a@tibetwatch.example.net")
    before = _warm(client, letter)

    services.confirm_signature(signature=signature)

    assert "Tibet Watch" not in before
    assert "Tibet Watch" in _page(client, letter)


def test_a_rejection_changes_nothing_on_the_list(client, public_open_letter):
    signature = sign_as(public_open_letter, "Rejected One", status="pending_review")
    letter_before = Letter.objects.get(pk=public_open_letter.pk).list_version

    services.reject_signature(
        signature=signature, moderator=make_moderator(), reason="spam", note=""
    )

    # A rejected signature was never on the list: its cache stays valid
    assert Letter.objects.get(pk=public_open_letter.pk).list_version == letter_before


def test_a_new_pending_signature_does_not_touch_the_list(public_open_letter):
    from tests.letters.signing_helpers import sign

    Letter.objects.filter(pk=public_open_letter.pk).update(sign_on_mode=Letter.SignOnMode.OPEN)
    before = Letter.objects.get(pk=public_open_letter.pk)

    sign(Letter.objects.get(pk=public_open_letter.pk))

    after = Letter.objects.get(pk=public_open_letter.pk)
    assert (after.list_version, after.updated_at) == (before.list_version, before.updated_at)


def test_a_withdrawal_shows(client, public_open_letter):
    signature = sign_as(public_open_letter, "Withdrawing One")
    before = _warm(client, public_open_letter)

    services.withdraw_signature(signature=signature)

    assert "Withdrawing One" in before
    assert "Withdrawing One" not in _page(client, public_open_letter)
    assert "Withdrawing One" not in _page(client, public_open_letter, order="name")


def test_a_change_of_visibility_shows(client, public_open_letter):
    signature = sign_as(public_open_letter, "Going Quiet")
    before = _warm(client, public_open_letter)

    services.narrow_visibility(
        signature=signature, visibility=V.COUNTED_ONLY, show_signer_name=False
    )

    after = _page(client, public_open_letter)
    assert "Going Quiet" in before
    assert "Going Quiet" not in after
    assert "and 1 organisation that cannot be named for its safety." in after


def test_a_signer_showing_their_name_shows(client, public_open_letter):
    signature = sign_as(public_open_letter, "Tibet Watch", signer_name="Pema Dolma")
    before = _warm(client, public_open_letter)

    token = services.request_widening(
        signature=signature, visibility=V.PUBLIC, show_signer_name=True
    )
    services.confirm_widening(token=token)

    assert "Pema Dolma" not in before
    assert "Pema Dolma" in _page(client, public_open_letter)


def test_a_new_version_and_a_reconfirmation_show(client, owner, public_open_letter):
    signature = sign_as(public_open_letter, "Careful Signer")
    _warm(client, public_open_letter)

    services.update_letter(
        letter=public_open_letter, actor=owner, body="A new text.", substantive=True
    )
    after_edit = _page(client, public_open_letter)
    services.reconfirm_signature(signature=signature, version_number=2)
    after_reconfirm = _page(client, public_open_letter)

    assert "signed version 1" in after_edit
    assert "signed version 1" not in after_reconfirm


def test_a_change_of_lead_organisations_shows(client, owner, public_open_letter):
    signature = sign_as(public_open_letter, "Becoming Lead")
    before = _warm(client, public_open_letter)

    services.update_letter(
        letter=public_open_letter, actor=owner, lead_organisations=[signature.organisation]
    )

    assert "Lead organisations" not in before
    assert "Lead organisations Becoming Lead" in _page(client, public_open_letter)


def test_an_organisation_renamed_or_moved_shows(client, public_open_letter, moderator):
    signature = sign_as(public_open_letter, "Old Name", based_in="Tibet")
    admin = Membership.objects.create(
        organisation=signature.organisation,
        user=make_moderator(email="orgadmin@example.net"),
        role=Membership.Role.ADMIN,
    ).user
    before = _warm(client, public_open_letter)

    organisation_services.update_organisation(
        organisation=signature.organisation, actor=admin, name="New Name", based_in="Exile"
    )

    after = _page(client, public_open_letter)
    assert "Old Name" in before
    assert "Old Name" not in after
    assert "Exile New Name" in after


def test_an_organisation_changing_only_its_website_keeps_the_cache(public_open_letter):
    signature = sign_as(public_open_letter, "Stable Name")
    admin = make_moderator(email="mod2@example.net")
    before = Letter.objects.get(pk=public_open_letter.pk).list_version

    organisation_services.update_organisation(
        organisation=signature.organisation, actor=admin, website="https://example.org/"
    )

    assert Letter.objects.get(pk=public_open_letter.pk).list_version == before


def test_publication_shows_the_embargoed_list_at_once(client, owner, make_letter):
    letter = make_letter(S.CLOSED)
    sign_as(letter, "Embargoed Until Now")
    before = _warm(client, letter)

    services.publish_letter(letter=letter, actor=owner)

    after = _page(client, letter)
    assert "Embargoed Until Now" not in before
    assert "Embargoed Until Now" in after
    assert "Delivered on" in after


def test_closing_and_reopening_change_the_page_at_once(client, owner, public_open_letter):
    before = _warm(client, public_open_letter)

    services.close_letter(letter=public_open_letter, actor=owner)

    assert "Sign this letter" in before
    assert "Sign-on has closed" in _page(client, public_open_letter)


def test_the_manage_link_is_not_in_the_public_list(client, public_open_letter):
    signature = sign_as(public_open_letter, "Tibet Watch")
    token = tokens.make_signature_token(signature_id=signature.pk, purpose=tokens.MANAGE)

    page = client.get(public_open_letter.get_absolute_url()).content.decode()

    assert token not in page


# --- A search: the list kept in the process, while the shared cache holds the same ----------


def _search(client, letter: Letter, query: str):
    response = client.get(letter.get_absolute_url(), {"q": query})
    assert response.status_code == 200
    return visible_text(response)


def test_a_search_unpickles_the_list_once_per_process_not_twice_per_request(
    client, public_open_letter, monkeypatch
):
    from django.core.cache import cache

    from letters.selectors import publication

    publication._KEPT.clear()
    bulk_signatories(public_open_letter, 50)
    _search(client, public_open_letter, "Bulk Organisation 0001")  # computed, kept
    read = []

    class Spy:  # the shared cache, its reads of whole lists noted
        def __getattr__(self, name):
            return getattr(cache, name)

        def get_many(self, keys):
            read.append(keys)
            return cache.get_many(keys)

    monkeypatch.setattr(publication, "cache", Spy())

    for query in ("Bulk Organisation 0002", "Organisation 0003", "nobody"):
        _search(client, public_open_letter, query)

    assert read == []  # every list came from the process, after one small read of its token


def test_a_signature_added_shows_in_the_next_search_though_the_process_kept_the_list(
    client, public_open_letter, owner
):
    from letters.selectors import publication
    from letters.services.publication import invalidate_public_list

    publication._KEPT.clear()
    sign_as(public_open_letter, "Tibet Watch")
    assert "Tibet Watch" in _search(client, public_open_letter, "Tibet")
    invalidate_public_list(letter_ids=[public_open_letter.pk])  # as every service does
    sign_as(public_open_letter, "Tibetan Women's Association")

    assert "Tibetan Women" in _search(client, public_open_letter, "Tibet")


def test_a_list_the_shared_cache_dropped_is_read_anew_not_from_the_process(
    client, public_open_letter
):
    """The same key, but the shared cache lost the list (a Redis restart, an eviction): the
    process's copy is not used, since another process may have computed a newer one."""
    from django.core.cache import cache

    from letters.selectors import publication

    publication._KEPT.clear()
    sign_as(public_open_letter, "Tibet Watch")
    assert "Tibet Watch" in _search(client, public_open_letter, "Tibet")
    sign_as(public_open_letter, "Tibetan Women's Association")  # bypasses the services
    cache.clear()

    assert "Tibetan Women" in _search(client, public_open_letter, "Tibet")


def test_the_process_keeps_a_bounded_number_of_names(public_open_letter, monkeypatch):
    from letters.selectors import publication
    from letters.selectors.publication import Signatory, SignatoryList

    kept = publication._KeptLists()
    monkeypatch.setattr(kept, "KEPT_NAMES", 10)

    def a_list(names: int) -> SignatoryList:
        return SignatoryList(
            public=True,
            named=tuple(
                Signatory(
                    name=f"Org {n}",
                    slug=f"org-{n}",
                    based_in="",
                    signer="",
                    lead=False,
                    signed_on=None,
                    version=1,
                )
                for n in range(names)
            ),
        )

    for number in range(4):
        kept.put(f"key{number}", "t", a_list(4))

    assert kept.get("key0", "t") is None  # the least recently used first
    assert kept.get("key1", "t") is None
    assert kept.get("key2", "t") is not None
    assert kept.get("key3", "t") is not None
    assert kept.get("key3", "another token") is None
