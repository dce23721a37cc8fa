"""organisations.services.create_unverified_organisations: many organisations named at once
(an invitation import), with the rules of create_organisation, in a constant number of
queries. On every refusal, nothing is created and no audit event is written."""

import pytest

from audit.models import AuditEvent
from core.errors import DomainError
from organisations import services
from organisations.models import Membership, Organisation
from organisations.services import organisations as organisation_services
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db

REASON = "Named in an invitation"


def created_rows() -> list[tuple]:
    return list(
        Organisation.objects.order_by("pk").values_list(
            "name", "normalised_name", "slug", "based_in", "is_verified"
        )
    )


def test_each_new_name_is_registered_unverified_with_an_event(coordinator):
    # When
    result = services.create_unverified_organisations(
        names=[("Tibet Watch", "London"), ("  Uyghur   Human Rights Project ", " Washington ")],
        actor=coordinator,
        reason=REASON,
    )

    # Then
    assert created_rows() == [
        ("Tibet Watch", "tibetwatch", "tibet-watch", "London", False),
        (
            "Uyghur Human Rights Project",
            "uyghurhumanrightsproject",
            "uyghur-human-rights-project",
            "Washington",
            False,
        ),
    ]
    tibet_watch, uhrp = Organisation.objects.order_by("pk")
    assert result.by_name == {"tibetwatch": tibet_watch, "uyghurhumanrightsproject": uhrp}
    assert result.created == [tibet_watch, uhrp]
    assert Membership.objects.count() == 0
    assert list(
        AuditEvent.objects.order_by("pk").values_list("action", "actor", "organisation", "reason")
    ) == [
        ("organisation.created", coordinator.pk, tibet_watch.pk, REASON),
        ("organisation.created", coordinator.pk, uhrp.pk, REASON),
    ]


def test_names_that_read_alike_make_one_organisation_under_the_first_spelling(coordinator):
    result = services.create_unverified_organisations(
        names=[("Human Rights Watch", "New York"), ("human-rights  watch", ""), ("The HRW", "")],
        actor=coordinator,
    )

    assert created_rows() == [
        ("Human Rights Watch", "humanrightswatch", "human-rights-watch", "New York", False),
        ("The HRW", "hrw", "the-hrw", "", False),
    ]
    assert set(result.by_name) == {"humanrightswatch", "hrw"}
    assert AuditEvent.objects.count() == 2


def test_a_registered_name_gives_the_existing_organisation(coordinator, moderator):
    # Given: one registered, one merged into another
    registered = OrganisationFactory(name="Tibet Watch", is_verified=True)
    kept = OrganisationFactory(name="Human Rights Watch")
    OrganisationFactory(name="HRW International", merged_into=kept)
    before = created_rows()

    # When
    result = services.create_unverified_organisations(
        names=[("TIBET WATCH", ""), ("HRW International", ""), ("Free Tibet", "")],
        actor=coordinator,
    )

    # Then: only the new name is created
    new = Organisation.objects.get(name="Free Tibet")
    assert result.by_name == {
        "tibetwatch": registered,
        "hrwinternational": kept,
        "freetibet": new,
    }
    assert result.created == [new]
    assert created_rows() == [*before, ("Free Tibet", "freetibet", "free-tibet", "", False)]
    assert list(AuditEvent.objects.values_list("organisation", flat=True)) == [new.pk]


def test_slugs_follow_the_one_rule(coordinator, monkeypatch):
    # Given: a slug taken, and names whose slugs are pages or collide with each other, across
    # rounds of two names
    monkeypatch.setattr(organisation_services, "BULK_CHUNK", 2)
    OrganisationFactory(name="Something else", slug="free-tibet")

    # When
    services.create_unverified_organisations(
        names=[
            ("Free Tibet", ""),
            ("New", ""),
            ("Rights & Co", ""),
            ("Rights Co", ""),
            ("Invitations", ""),
            ("!!!人权!!!", ""),
        ],
        actor=coordinator,
    )

    # Then
    assert dict(Organisation.objects.values_list("name", "slug")) == {
        "Something else": "free-tibet",
        "Free Tibet": "free-tibet-2",
        "New": "new-2",
        "Rights & Co": "rights-co",
        "Rights Co": "rights-co-2",
        "Invitations": "invitations-2",
        "!!!人权!!!": "人权",
    }
    assert AuditEvent.objects.count() == 6


def test_a_single_registration_uses_the_same_slug_rule(signer):
    OrganisationFactory(name="Rights Co", slug="rights-co")

    organisation = services.create_organisation(name="Rights & Co", created_by=signer)

    assert organisation.slug == "rights-co-2"


@pytest.mark.parametrize("count", [3, 30, 300])
def test_the_queries_do_not_grow_with_the_number_of_names(
    coordinator, django_assert_num_queries, count
):
    # Given: a registered name among them
    OrganisationFactory(name="Name 0")
    names = [(f"Name {n}", "Somewhere") for n in range(count)]

    # When
    # 1-2  savepoint of the service (the test's transaction is the outer one) and its release
    # 3    the names already registered
    # 4    the slugs taken among the new names' slugs
    # 5-7  savepoint, one INSERT of the organisations, release
    # 8    one INSERT of their audit events
    with django_assert_num_queries(8):
        result = services.create_unverified_organisations(names=names, actor=coordinator)

    # Then
    assert len(result.by_name) == count
    assert len(result.created) == count - 1
    assert AuditEvent.objects.count() == count - 1


def test_someone_registering_a_name_meanwhile_leaves_the_rest_created(coordinator, monkeypatch):
    # Given: a name registered after the service looked (the lookup is made to miss it, since
    # the race itself cannot be timed here)
    registered = OrganisationFactory(name="Tibet Watch")
    monkeypatch.setattr(organisation_services, "_existing_into", lambda result, chunk: None)

    # When
    result = services.create_unverified_organisations(
        names=[("Free Tibet", ""), ("Tibet Watch", ""), ("Students for a Free Tibet", "")],
        actor=coordinator,
    )

    # Then: the bulk INSERT failed on the unique name; one at a time, the others were created
    assert result.by_name["tibetwatch"] == registered
    assert sorted(o.name for o in result.created) == ["Free Tibet", "Students for a Free Tibet"]
    assert Organisation.objects.count() == 3
    assert sorted(AuditEvent.objects.values_list("organisation__name", flat=True)) == [
        "Free Tibet",
        "Students for a Free Tibet",
    ]


@pytest.mark.parametrize(
    ("names", "error"),
    [
        ([("Free Tibet", ""), ("— ? —", "")], "Enter the organisation's name."),
        ([("Free Tibet", ""), ("   ", "")], "Enter the organisation's name."),
        ([("x" * 201, "")], "too long"),
        ([("Free Tibet", "y" * 101)], "too long"),
    ],
)
def test_a_name_that_cannot_be_registered_refuses_them_all(coordinator, names, error):
    with pytest.raises(DomainError, match=error):
        services.create_unverified_organisations(names=names, actor=coordinator)

    assert Organisation.objects.count() == 0
    assert AuditEvent.objects.count() == 0


def test_nothing_named_does_nothing(coordinator, django_assert_num_queries):
    with django_assert_num_queries(2):  # the service's savepoint and its release
        result = services.create_unverified_organisations(names=[], actor=coordinator)

    assert (result.by_name, result.created) == ({}, [])
