"""core.compiled: a queryset compiled once, run with new values, gives what the ORM gives."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.compiled import CompiledQuery
from letters.models import Letter
from letters.selectors import public_letter
from tests.factories import LetterFactory

pytestmark = pytest.mark.django_db

SLUG = "\x00slug\x00"


def _letters_by_slug() -> CompiledQuery:
    return CompiledQuery(lambda: Letter.objects.filter(slug=SLUG).order_by()[:1], {"slug": SLUG})


def test_an_instance_has_every_field_as_the_orm_reads_it():
    letter = LetterFactory(
        deadline=timezone.now() + dt.timedelta(days=3), signatories_public_while_open=True
    )
    query = _letters_by_slug()

    found = query.instance(Letter, slug=letter.slug)

    expected = Letter.objects.get(pk=letter.pk)
    for field in Letter._meta.concrete_fields:
        assert getattr(found, field.attname) == getattr(expected, field.attname), field.name
    assert found._state.adding is False
    assert found._state.db == "default"
    assert isinstance(found.deadline, dt.datetime)
    assert found.deadline.tzinfo is not None


def test_each_value_gets_its_own_row_and_none_when_there_is_none():
    first, second = LetterFactory(), LetterFactory()
    query = _letters_by_slug()

    assert query.instance(Letter, slug=first.slug).pk == first.pk
    assert query.instance(Letter, slug=second.slug).pk == second.pk
    assert query.instance(Letter, slug="no-such-letter") is None
    assert query.row(Letter, slug=second.slug)[0] == second.pk


def test_it_is_compiled_once_and_runs_one_query(django_assert_num_queries):
    letter = LetterFactory()
    built = []
    query = CompiledQuery(
        lambda: built.append(1) or Letter.objects.filter(slug=SLUG).order_by()[:1], {"slug": SLUG}
    )

    for _ in range(3):
        with django_assert_num_queries(1):
            query.instance(Letter, slug=letter.slug)

    assert built == [1]


def test_a_stand_in_the_query_does_not_hold_exactly_once_is_refused():
    twice = CompiledQuery(lambda: Letter.objects.filter(slug=SLUG, title=SLUG)[:1], {"slug": SLUG})
    missing = CompiledQuery(lambda: Letter.objects.filter(slug="x")[:1], {"slug": SLUG})

    with pytest.raises(ValueError, match="2 times"):
        twice.row(Letter, slug="x")
    with pytest.raises(ValueError, match="0 times"):
        missing.row(Letter, slug="x")


def test_a_value_is_a_parameter_never_sql():
    letter = LetterFactory()
    query = _letters_by_slug()

    with CaptureQueriesContext(connection) as queries:
        found = query.instance(Letter, slug=f"{letter.slug}' OR '1'='1")

    assert found is None
    assert "'1'='1" not in queries.captured_queries[0]["sql"].split("LIMIT")[0].split("=", 1)[0]


def test_the_public_letter_is_never_a_draft():
    draft = LetterFactory(status=Letter.Status.DRAFT)
    open_letter = LetterFactory(status=Letter.Status.OPEN)

    assert public_letter(draft.slug) is None
    assert public_letter(open_letter.slug) == open_letter
