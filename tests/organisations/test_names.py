import pytest

from organisations.names import acronym_of, normalise_name, similarity


@pytest.mark.parametrize(
    "name",
    [
        "Human Rights Watch",
        "human rights watch",
        "Human-Rights  Watch",
        "The Human Rights Watch",
        "  HUMAN RIGHTS WATCH. ",
        "Ｈｕｍａｎ Ｒｉｇｈｔｓ Ｗａｔｃｈ",  # full-width letters
    ],
)
def test_spellings_of_one_name_normalise_to_the_same_key(name):
    assert normalise_name(name) == "humanrightswatch"


def test_ampersand_reads_as_and():
    assert normalise_name("Lawyers & Friends") == normalise_name("Lawyers and Friends")


def test_the_is_only_dropped_at_the_start():
    assert normalise_name("Theatre of the Oppressed") == "theatreoftheoppressed"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("人权观察", "人权观察"),
        # Tibetan vowel signs and subjoined letters are marks: they must survive.
        ("བོད་ཀྱི་", "བོདཀྱི"),
        ("ئۇيغۇر", "ئۇيغۇر"),
    ],
)
def test_names_in_every_script_keep_their_letters_and_marks(name, expected):
    assert normalise_name(name) == expected


def test_a_name_of_punctuation_only_normalises_to_nothing():
    assert normalise_name(" -- !! ") == ""


def test_acronym_skips_small_words():
    assert acronym_of("International Campaign for Tibet") == "ict"
    assert acronym_of("Human Rights Watch") == "hrw"


def test_similarity_is_one_for_equal_names_and_lower_for_a_typo():
    assert similarity("humanrightswatch", "humanrightswatch") == 1.0
    assert 0.86 < similarity("humanrightswatch", "humanrightswach") < 1.0
    assert similarity("humanrightswatch", "freetibet") < 0.5
