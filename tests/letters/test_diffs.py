"""Word diffs between two versions of a letter's text."""

import random
from html.parser import HTMLParser

import pytest
from django.utils.safestring import SafeString

from letters.diffs import diff_stats, word_diff


class TagCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(html: str) -> TagCollector:
    collector = TagCollector()
    collector.feed(html)
    collector.close()
    return collector


def body(html: str) -> str:
    """The diff without its wrapper."""
    prefix, suffix = '<div class="diff">', "</div>"
    assert html.startswith(prefix)
    assert html.endswith(suffix)
    return html[len(prefix) : -len(suffix)]


def test_insertion():
    html = word_diff("We call for release.", "We call for immediate release.")

    assert body(html) == "We call for <ins>immediate</ins> release."
    assert diff_stats("We call for release.", "We call for immediate release.") == {
        "words_added": 1,
        "words_removed": 0,
    }


def test_deletion():
    html = word_diff("We call for immediate release.", "We call for release.")

    assert body(html) == "We call for <del>immediate</del> release."
    assert diff_stats("We call for immediate release.", "We call for release.") == {
        "words_added": 0,
        "words_removed": 1,
    }


def test_replacement():
    old, new = "The quick brown fox jumps.", "The slow brown cat jumps."

    assert body(word_diff(old, new)) == (
        "The <del>quick</del> <ins>slow</ins> brown <del>fox</del> <ins>cat</ins> jumps."
    )
    assert diff_stats(old, new) == {"words_added": 2, "words_removed": 2}


def test_rewritten_phrase_reads_as_one_change_not_fragments():
    assert body(word_diff("a b c", "x b y")) == "<del>a b c</del> <ins>x b y</ins>"
    # ...while the statistics still count what actually changed
    assert diff_stats("a b c", "x b y") == {"words_added": 2, "words_removed": 2}


def test_kept_words_between_insertions_stay_unmarked():
    old = "We call on the government to release all journalists."
    new = "We call on the authorities to immediately release all detained journalists."

    assert body(word_diff(old, new)) == (
        "We call on the <del>government</del> <ins>authorities</ins> to "
        "<ins>immediately</ins> release all <ins>detained</ins> journalists."
    )
    assert diff_stats(old, new) == {"words_added": 3, "words_removed": 1}


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("", id="empty"),
        pytest.param("One sentence.", id="sentence"),
        pytest.param("Para one.\n\nPara two,\nline two.", id="paragraphs"),
    ],
)
def test_unchanged_text_has_no_ins_or_del(text):
    html = word_diff(text, text)

    assert [tag for tag, _ in parse(html).tags if tag in {"ins", "del"}] == []
    assert diff_stats(text, text) == {"words_added": 0, "words_removed": 0}


def test_spacing_and_line_ending_changes_are_not_changes():
    old, new = "Free   the\r\npress.", "Free the\npress."

    assert body(word_diff(old, new)) == "Free the<br>\npress."
    assert diff_stats(old, new) == {"words_added": 0, "words_removed": 0}


def test_html_in_either_text_is_escaped():
    old = 'Hello <b onclick="x()">world</b> & co'
    new = "Hello <script>alert(1)</script> & co"

    html = word_diff(old, new)

    assert isinstance(html, SafeString)
    assert parse(html).tags == [("div", {"class": "diff"}), ("del", {}), ("ins", {})]
    assert body(html) == (
        "Hello <del>&lt;b onclick=&quot;x()&quot;&gt;world&lt;/b&gt;</del> "
        "<ins>&lt;script&gt;alert(1)&lt;/script&gt;</ins> &amp; co"
    )


def test_paragraphs_are_preserved_as_line_breaks():
    old = "Dear minister,\n\nWe write about the trial.\n\nSigned"
    new = "Dear minister,\n\nWe write about the unjust trial.\nIt must end.\n\nSigned"

    assert body(word_diff(old, new)) == (
        "Dear minister,<br>\n<br>\n"
        "We write about the <ins>unjust</ins> trial.<ins><br>\nIt must end.</ins>"
        "<br>\n<br>\nSigned"
    )
    assert diff_stats(old, new) == {"words_added": 4, "words_removed": 0}


def test_deleted_paragraph_is_shown_in_place():
    old = "First.\n\nSecond paragraph.\n\nThird."
    new = "First.\n\nThird."

    assert body(word_diff(old, new)) == (
        "First.<br>\n<br>\n<del>Second paragraph.</del><br>\n<br>\nThird."
    )
    assert diff_stats(old, new) == {"words_added": 0, "words_removed": 2}


def test_splitting_a_paragraph_changes_layout_but_no_words():
    old, new = "One two", "One\n\ntwo"

    assert body(word_diff(old, new)) == "One<br>\n<br>\ntwo"
    assert diff_stats(old, new) == {"words_added": 0, "words_removed": 0}


def test_from_and_to_empty():
    assert body(word_diff("", "New letter text")) == "<ins>New letter text</ins>"
    assert body(word_diff("Old letter text", "")) == "<del>Old letter text</del>"
    assert diff_stats("", "New letter text") == {"words_added": 3, "words_removed": 0}
    assert diff_stats("Old letter text", "") == {"words_added": 0, "words_removed": 3}


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        pytest.param(
            "我喜欢猫。", "我喜欢狗。", "我喜欢<del>猫</del><ins>狗</ins>。", id="chinese"
        ),
        pytest.param(
            "ང་ཚོས་ བོད་ སྐད་",
            "ང་ཚོས་ བོད་ཡིག་",
            "ང་ཚོས་ <del>བོད་ སྐད་</del> <ins>བོད་ཡིག་</ins>",
            id="tibetan",
        ),
        pytest.param(
            "بىز تەلەپ قىلىمىز",
            "بىز قەتئىي تەلەپ قىلىمىز",
            "بىز <ins>قەتئىي</ins> تەلەپ قىلىمىز",
            id="uyghur",
        ),
    ],
)
def test_non_latin_text(old, new, expected):
    assert body(word_diff(old, new)) == expected


def test_twenty_thousand_word_letters_diff_with_scattered_edits():
    # Given a 20,000-word letter in 250 paragraphs, with a Zipf-like vocabulary so common
    # words repeat thousands of times (the case that makes naive matching quadratic)
    rng = random.Random(20_000)
    vocabulary = [f"word{n}" for n in range(3000)]
    weights = [1 / (rank + 1) for rank in range(3000)]
    words = rng.choices(vocabulary, weights, k=20_000)
    paragraphs = [" ".join(words[n : n + 80]) for n in range(0, 20_000, 80)]
    old = "\n\n".join(paragraphs)
    # ...and a new version with one word added to every paragraph
    new = "\n\n".join(f"Amended {paragraph}" for paragraph in paragraphs)

    # When both are diffed
    html = word_diff(old, new)
    stats = diff_stats(old, new)

    # Then exactly those additions are reported, and nothing is removed
    assert stats == {"words_added": 250, "words_removed": 0}
    assert html.count("<ins>Amended</ins>") == 250
    assert "<del>" not in html


def test_twenty_thousand_word_letters_diff_when_wholly_rewritten():
    rng = random.Random(1)
    vocabulary = [f"word{n}" for n in range(3000)]
    old = " ".join(rng.choices(vocabulary, k=20_000))
    new = " ".join(rng.choices(vocabulary, k=20_000))

    stats = diff_stats(old, new)
    html = word_diff(old, new)

    assert stats["words_added"] == stats["words_removed"]
    assert 0 < stats["words_added"] <= 20_000
    assert "".join(parse(html).text).count("word") >= 20_000
