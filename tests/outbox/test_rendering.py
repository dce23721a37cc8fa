"""The mail merge: one email for many recipients, byte for byte what rendering each in full
gives, at the cost of a few renders; and full rendering whenever a template alters a value."""

import copy

import pytest

from outbox import rendering
from outbox.rendering import MailMerge, render_email

SUBJECT = "{% autoescape off %}Join {{ organisation }}, {{ name }}{% endautoescape %}"
TEXT = (
    "{% autoescape off %}{% if name %}Dear {{ name }},{% else %}Hello,{% endif %}\n\n"
    "{{ organisation }} is invited: {{ link }}{% endautoescape %}"
)
HTML = (
    "<p>{% if name %}Dear {{ name }},{% else %}Hello,{% endif %}</p>\n"
    '<p>{{ organisation }} is invited: <a href="{{ link }}">{{ link }}</a></p>'
)
RECIPIENTS = [
    {"name": "Pema Dolma", "organisation": "Tibet Action Institute", "secret": "a1-B2_c3"},
    {"name": "", "organisation": "Free Tibet", "secret": "d4"},
    {"name": 'O\'Brien & "Sons" <b>', "organisation": "Lawyers & Rights <Asia>", "secret": "e5"},
    {"name": "ئايشە", "organisation": "ئۇيغۇر ياشلار تورى", "secret": "f6"},
    {"name": "陳大文", "organisation": "香港民主委員會", "secret": "g7"},
    {"name": "Two\nlines", "organisation": "Tabs\tand  spaces", "secret": "h8"},
]


@pytest.fixture
def email_templates(settings, tmp_path):
    """Writes templates/email/<kind>_* in a folder searched before the project's."""
    folder = tmp_path / "templates"
    (folder / "email").mkdir(parents=True)
    templates = copy.deepcopy(settings.TEMPLATES)
    templates[0]["DIRS"] = [folder, *templates[0]["DIRS"]]
    settings.TEMPLATES = templates

    def write(kind: str, *, subject: str = SUBJECT, text: str = TEXT, html: str = HTML) -> str:
        for part, source in (
            ("subject.txt", subject),
            ("message.txt", text),
            ("message.html", html),
        ):
            (folder / "email" / f"{kind}_{part}").write_text(source)
        return kind

    return write


def context_for(values) -> dict:
    return {
        "name": values["name"],
        "organisation": values["organisation"],
        "link": f"https://undersigned.example.org/i/{values['secret']}/",
    }


def merge_for(kind: str) -> MailMerge:
    return MailMerge(
        kind, context_for, fields=("name", "organisation", "secret"), in_links=("secret",)
    )


def test_a_merged_email_is_byte_for_byte_the_one_rendered_in_full(email_templates, monkeypatch):
    kind = email_templates("merge_plain")
    renders = []
    real = rendering.render_email
    monkeypatch.setattr(
        rendering, "render_email", lambda *a, **kw: renders.append(a[0]) or real(*a, **kw)
    )
    merge = merge_for(kind)

    merged = [merge.render(values) for values in RECIPIENTS * 50]

    assert merged == [render_email(kind, context_for(values)) for values in RECIPIENTS * 50]
    # Two skeletons (with and without a name), each rendered with two sets of stand-ins
    assert len(renders) == 4
    assert merged[2].html == (
        "<p>Dear O&#x27;Brien &amp; &quot;Sons&quot; &lt;b&gt;,</p>\n"
        "<p>Lawyers &amp; Rights &lt;Asia&gt; is invited: "
        '<a href="https://undersigned.example.org/i/e5/">https://undersigned.example.org/i/e5/</a></p>'
    )
    assert merged[5].subject == "Join Tabs and spaces, Two lines"


@pytest.mark.parametrize(
    "text",
    [
        "Dear {{ name|upper }}, {{ organisation }} {{ link }}",
        # Once as it is and once altered: each stand-in appears, yet the email would be wrong
        "Dear {{ name }} ({{ name|truncatechars:4 }}), {{ organisation }} {{ link }}",
        "{{ name }}: {{ organisation|length }} letters, {{ link }}",
    ],
)
def test_a_template_that_alters_a_value_falls_back_to_full_rendering(email_templates, text):
    kind = email_templates("merge_altering", text=text)
    merge = merge_for(kind)

    assert [merge.render(values) for values in RECIPIENTS if values["name"]] == [None] * 5


def test_a_value_that_looks_like_a_stand_in_is_put_in_as_it_is(email_templates):
    kind = email_templates("merge_plain")
    merge = merge_for(kind)
    values = {
        "name": merge.stand_ins[0]["organisation"],  # as if a name held the stand-in
        "organisation": "Free Tibet",
        "secret": "x9",
    }

    merged = merge.render(values)

    assert merged.text.startswith("Dear \ue000organisation\ue000,\n\nFree Tibet is invited")
