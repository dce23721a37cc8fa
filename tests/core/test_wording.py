"""A recipient typed as addressed ("The US Secretary of State") reads right inside a sentence."""

import pytest

from core.wording import mid_sentence


@pytest.mark.parametrize(
    ("typed", "in_a_sentence"),
    [
        ("The US Secretary of State", "the US Secretary of State"),
        ("The Foreign Secretary", "the Foreign Secretary"),
        ("Ministers of the Interior of the G7", "Ministers of the Interior of the G7"),
        ("Theresa May", "Theresa May"),  # not the article
        ("The", "The"),  # nothing follows: left as typed
        ("the Secretary-General", "the Secretary-General"),
        ("美国国务卿", "美国国务卿"),
        ("", ""),
    ],
)
def test_only_a_leading_article_is_lowered(typed, in_a_sentence):
    assert mid_sentence(typed) == in_a_sentence
