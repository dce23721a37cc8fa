import pytest

from organisations.selectors import likely_duplicates, members_of, organisations_of
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def hrw():
    return OrganisationFactory(name="Human Rights Watch", slug="human-rights-watch", acronym="HRW")


@pytest.mark.parametrize(
    "typed",
    [
        "human rights watch",
        "Human-Rights  Watch",
        "The Human Rights Watch",
        "Human Rights Wach",  # a typo
        "Human Rights Watch Inc",  # an extra word
    ],
)
def test_likely_duplicates_finds_the_same_organisation_spelt_differently(hrw, typed):
    assert likely_duplicates(typed) == [hrw]


def test_likely_duplicates_finds_a_matching_acronym(hrw):
    assert likely_duplicates("Hong Kong Rights Web", acronym="hrw") == [hrw]


def test_likely_duplicates_ignores_unrelated_names(hrw):
    OrganisationFactory(name="Free Tibet", slug="free-tibet")

    assert likely_duplicates("Amnesty International") == []


def test_likely_duplicates_puts_the_exact_match_first(hrw):
    typo = OrganisationFactory(name="Human Rights Wach", slug="typo")

    assert likely_duplicates("Human Rights Watch") == [hrw, typo]


def test_likely_duplicates_of_an_empty_name_is_empty(hrw):
    assert likely_duplicates(" - ") == []


def test_organisations_of_lists_only_the_users_memberships():
    user = UserFactory()
    mine = MembershipFactory(user=user)
    MembershipFactory()

    assert list(organisations_of(user)) == [mine]


def test_members_of_lists_only_the_organisations_members():
    organisation = OrganisationFactory()
    member = MembershipFactory(organisation=organisation, user=UserFactory(email="a@x.org"))
    admin = MembershipFactory(
        organisation=organisation, user=UserFactory(email="z@x.org"), role="admin"
    )
    MembershipFactory()

    assert set(members_of(organisation)) == {admin, member}
