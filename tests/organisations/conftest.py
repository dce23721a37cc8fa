"""Fixtures for the organisation tests: one organisation seen from every role.

`org_admin` (tests/conftest.py) is the administrator of `own_organisation`; `member` is a
plain member of it; `signer` belongs to another organisation, and `coordinator` and
`moderator` belong to none.
"""

import pytest

from organisations.models import Membership
from tests.factories import MembershipFactory, UserFactory


@pytest.fixture
def own_organisation(org_admin):
    return org_admin.memberships.get().organisation


@pytest.fixture
def member(own_organisation):
    user = UserFactory(email="member@ngo.example.org", name="Pema Member")
    MembershipFactory(organisation=own_organisation, user=user, role=Membership.Role.MEMBER)
    return user


@pytest.fixture
def unconfirmed_user(db):
    return UserFactory(email="unconfirmed@ngo.example.org", verified=False)
