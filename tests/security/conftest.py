"""Fixtures the security tests share with the letters' and publication tests."""

from tests.publication.conftest import (  # noqa: F401  (fixtures)
    editor,
    embargoed_letter,
    make_letter,
    other_coordinator,
    owner,
)
