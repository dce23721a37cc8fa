"""Letter Markdown rendering: an XSS corpus against each layer, then what must survive.

Every payload is checked three ways: the real pipeline (strictly: only allow-listed tags and
attributes come out), the sanitiser alone behind a markdown renderer that lets raw HTML and
any link through (so layer 2 holds if layer 1 is ever misconfigured), and the markdown layer
alone (so layer 1 holds if the sanitiser is ever loosened). Assertions are made on the
output as parsed by the stdlib HTML parser, not on substrings.
"""

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.template import Context, Template
from django.utils.safestring import SafeString
from markdown_it import MarkdownIt

from letters import markdown
from letters.markdown import (
    ALLOWED_ATTRIBUTES,
    ALLOWED_TAGS,
    ALLOWED_URL_SCHEMES,
    LINK_REL,
    markdown_to_plain_text,
    render_markdown,
    sanitise_html,
)

XSS_PAYLOADS = [
    pytest.param("<script>alert(1)</script>", id="script"),
    pytest.param("<SCRIPT SRC=//evil.example/x.js></SCRIPT>", id="script-src-upper"),
    pytest.param("<img src=x onerror=alert(1)>", id="img-onerror"),
    pytest.param("<svg onload=alert(1)>", id="svg-onload"),
    pytest.param("<svg><script>alert(1)</script></svg>", id="svg-script"),
    pytest.param("[x](javascript:alert(1))", id="md-link-javascript"),
    pytest.param("<javascript:alert(1)>", id="autolink-javascript"),
    pytest.param("[x](JaVaScRiPt:alert(1))", id="md-link-mixed-case"),
    pytest.param("[x](&#106;avascript:alert(1))", id="md-link-decimal-entity"),
    pytest.param("[x](&#x6A;avascript&#x3A;alert(1))", id="md-link-hex-entity"),
    pytest.param("[x](javas&#99;ript:alert(1))", id="md-link-entity-mid-scheme"),
    pytest.param("[x](java\0script:alert(1))", id="md-link-nul-in-scheme"),
    pytest.param("[x](<java\tscript:alert(1)>)", id="md-link-tab-in-scheme"),
    pytest.param("[x](<java\nscript:alert(1)>)", id="md-link-newline-in-scheme"),
    pytest.param("[x](\njavascript:alert(1))", id="md-link-leading-newline"),
    pytest.param("[x](%6A%61%76%61script:alert(1))", id="md-link-percent-encoded-scheme"),
    pytest.param(
        "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)", id="md-link-data"
    ),
    pytest.param("<data:text/html,<script>alert(1)</script>>", id="autolink-data"),
    pytest.param("[x](vbscript:msgbox(1))", id="md-link-vbscript"),
    pytest.param("[x](//evil.example/path)", id="md-link-protocol-relative"),
    pytest.param('<a href="javascript:alert(1)">x</a>', id="raw-a-javascript"),
    pytest.param('<a href="jav&#x09;ascript:alert(1)">x</a>', id="raw-a-entity-tab"),
    pytest.param(
        '<a href="&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114'
        '&#0000105&#0000112&#0000116&#0000058alert(1)">x</a>',
        id="raw-a-padded-entities",
    ),
    pytest.param('<a href="https://ok.example" onclick="alert(1)">x</a>', id="raw-a-onclick"),
    pytest.param('<a href="https://ok.example" target="_blank">x</a>', id="raw-a-target"),
    pytest.param('<iframe src="https://evil.example"></iframe>', id="iframe"),
    pytest.param('<iframe srcdoc="<script>alert(1)</script>"></iframe>', id="iframe-srcdoc"),
    pytest.param('<object data="javascript:alert(1)"></object>', id="object"),
    pytest.param('<embed src="javascript:alert(1)">', id="embed"),
    pytest.param("<style>body{background:url(javascript:alert(1))}</style>", id="style-tag"),
    pytest.param('<link rel=stylesheet href="https://evil.example/x.css">', id="link-tag"),
    pytest.param(
        '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">', id="meta-refresh"
    ),
    pytest.param('<form action="javascript:alert(1)"><button>go</button></form>', id="form"),
    pytest.param('<button formaction="javascript:alert(1)">x</button>', id="formaction"),
    pytest.param("<input autofocus onfocus=alert(1)>", id="input-autofocus"),
    pytest.param("<details open ontoggle=alert(1)>", id="details-ontoggle"),
    pytest.param(
        "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>", id="math-mglyph"
    ),
    pytest.param('<math href="javascript:alert(1)">click</math>', id="math-href"),
    pytest.param(
        '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>', id="svg-xlink"
    ),
    pytest.param("<svg><style><img src=x onerror=alert(1)></style></svg>", id="svg-style-img"),
    pytest.param("<img src=x onerror=alert(1)//", id="unclosed-img"),
    pytest.param("<<script>script>alert(1)<</script>/script>", id="double-open-script"),
    pytest.param("<!--<script>alert(1)</script>-->", id="comment-script"),
    pytest.param("--><script>alert(1)</script><!--", id="comment-breakout"),
    pytest.param("![x](javascript:alert(1))", id="md-image-javascript"),
    pytest.param('![x](https://ok.example/a.png "\\" onerror=\\"alert(1)")', id="img-title-quote"),
    pytest.param('![x" onerror="alert(1)](https://ok.example/a.png)', id="img-alt-quote"),
    pytest.param("[x][evil]\n\n[evil]: javascript:alert(1)", id="reference-javascript"),
    pytest.param('[x][evil]\n\n[evil]: <javascript:alert(1)> "t"', id="reference-angle"),
    pytest.param('[x](https://ok.example "a\\" onmouseover=\\"alert(1)")', id="title-dq"),
    pytest.param("[x](https://ok.example 'a\\' onmouseover=\\'alert(1)')", id="title-sq"),
    pytest.param('[x](https://ok.example/"onmouseover="alert(1))', id="href-quote"),
    pytest.param('<https://ok.example/"onmouseover="alert(1)>', id="autolink-quote"),
    pytest.param("[<img src=x onerror=alert(1)>](https://ok.example)", id="link-text-img"),
    pytest.param("`<script>alert(1)</script>`", id="code-span"),
    pytest.param("```\n</code></pre><script>alert(1)</script>\n```", id="fence-breakout"),
    pytest.param("<![CDATA[<script>alert(1)</script>]]>", id="cdata"),
    pytest.param('<base href="javascript:alert(1)//">', id="base"),
    pytest.param('<div style="width: expression(alert(1))">x</div>', id="style-expression"),
    pytest.param('<p style="background:url(javascript:alert(1))">x</p>', id="style-url"),
    pytest.param(
        '<noscript><p title="</noscript><img src=x onerror=alert(1)>">', id="mxss-noscript"
    ),
    pytest.param("<template><script>alert(1)</script></template>", id="template"),
    pytest.param("<xss onafterscriptexecute=alert(1)>x</xss>", id="unknown-tag-handler"),
    pytest.param("<isindex type=image src=1 onerror=alert(1)>", id="isindex"),
    pytest.param('"><script>alert(1)</script>', id="attribute-breakout-in-text"),
    pytest.param('<img src="https://tracker.example/pixel.gif">', id="tracking-pixel"),
]

URL_ATTRIBUTES = {
    "href",
    "src",
    "action",
    "formaction",
    "data",
    "xlink:href",
    "srcdoc",
    "background",
    "poster",
    "codebase",
}
DANGEROUS_URL = re.compile(r"^(javascript|vbscript|data):")
# Browsers drop ASCII tab/newline anywhere in a URL and leading C0 controls/space.
URL_NOISE = re.compile(r"[\x00-\x20]")


class ParsedHTML(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.comments: list[str] = []
        self.declarations: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_comment(self, data: str) -> None:
        self.comments.append(data)

    def handle_decl(self, decl: str) -> None:
        self.declarations.append(decl)

    def unknown_decl(self, data: str) -> None:
        self.declarations.append(data)

    def handle_pi(self, data: str) -> None:
        self.declarations.append(data)


def parse(html: str) -> ParsedHTML:
    parser = ParsedHTML()
    parser.feed(html)
    parser.close()
    return parser


def assert_nothing_executable(html: str) -> None:
    """What no layer may ever emit: script, event handlers, script-bearing URLs."""
    assert "<script" not in html.lower()
    parsed = parse(html)
    assert parsed.comments == []
    assert parsed.declarations == []
    for tag, attrs in parsed.tags:
        assert tag in ALLOWED_TAGS, tag
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name)
            assert name not in {"style", "srcdoc"}, (tag, name)
            if name in URL_ATTRIBUTES:
                normalised = URL_NOISE.sub("", value or "").lower()
                assert not DANGEROUS_URL.match(normalised), (tag, name, value)


def assert_only_allow_listed(html: str) -> None:
    """The sanitiser's contract: allow-listed attributes, absolute safe URLs, forced rel."""
    assert_nothing_executable(html)
    for tag, attrs in parse(html).tags:
        allowed = ALLOWED_ATTRIBUTES.get(tag, set()) | ({"rel"} if tag == "a" else set())
        assert set(attrs) <= allowed, (tag, attrs)
        if tag == "a":
            assert attrs["rel"] == LINK_REL
            if "href" in attrs:
                href = attrs["href"] or ""
                assert URL_NOISE.search(href) is None, href
                assert urlsplit(href).scheme in ALLOWED_URL_SCHEMES, href
    # Stable under a second pass: what a browser re-parses is what we vetted (no mXSS).
    assert sanitise_html(html) == html


def permissive_markdown() -> MarkdownIt:
    """Layer 1 misconfigured in every way that matters: raw HTML on, every link accepted."""
    md = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    md.validateLink = lambda url: True  # type: ignore[method-assign]
    return md


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_pipeline_emits_only_allow_listed_markup(payload):
    # Given an attacker-written letter body
    # When it is rendered for a public page
    html = render_markdown(payload)

    # Then nothing executable and nothing outside the allow-list survives
    assert_only_allow_listed(html)


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_sanitiser_alone_holds_when_markdown_lets_everything_through(payload):
    # Given a markdown renderer that passes raw HTML and any link scheme
    rendered = permissive_markdown().render(payload)

    # When only the sanitiser stands between it and the page
    # Then the output is still allow-listed, as is the raw payload treated as HTML
    assert_only_allow_listed(sanitise_html(rendered))
    assert_only_allow_listed(sanitise_html(payload))


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_markdown_layer_alone_emits_nothing_executable(payload):
    # Given the configured markdown renderer with the sanitiser taken away
    # (private on purpose: unsanitised output must not be reachable from app code)
    html = markdown._MARKDOWN.render(payload)

    # Then it already emits no script, handler or dangerous URL
    assert_nothing_executable(html)


def test_corpus_is_large_enough():
    assert len(XSS_PAYLOADS) >= 40


def test_raw_html_is_shown_as_text_not_dropped():
    html = render_markdown("Use <b>bold</b> & <script>alert(1)</script>")

    assert html == "<p>Use &lt;b&gt;bold&lt;/b&gt; &amp; &lt;script&gt;alert(1)&lt;/script&gt;</p>"


def test_refused_link_stays_as_the_markdown_the_author_typed():
    html = render_markdown("[click](javascript:alert(1))")

    assert html == "<p>[click](javascript:alert(1))</p>"
    assert parse(html).tags == [("p", {})]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        pytest.param("# Title", "<h2>Title</h2>", id="h1-becomes-h2"),
        # The letter body that started at <h3> after the page's <h1> (issue 15, item 17)
        pytest.param("## Section", "<h2>Section</h2>", id="a-top-h2-becomes-h2"),
        pytest.param(
            "## Why\n\n### Detail\n\n## What",
            "<h2>Why</h2>\n<h3>Detail</h3>\n<h2>What</h2>",
            id="h2-sections-keep-their-hierarchy",
        ),
        pytest.param(
            "# Title\n\n## Section\n\n### Sub",
            "<h2>Title</h2>\n<h3>Section</h3>\n<h4>Sub</h4>",
            id="h1-h2-h3-become-h2-h3-h4",
        ),
        pytest.param(
            "# Top\n\n###### Deep", "<h2>Top</h2>\n<h4>Deep</h4>", id="deep-clamped-to-h4"
        ),
        pytest.param("### Sub", "<h2>Sub</h2>", id="a-lone-h3-becomes-h2"),
        pytest.param("Title\n=====", "<h2>Title</h2>", id="setext-h1-becomes-h2"),
    ],
)
def test_headings_start_one_level_below_the_page_h1(source, expected):
    assert render_markdown(source) == expected


def test_emphasis_strikethrough_and_breaks():
    html = render_markdown("*em* **strong** ~~gone~~ `code`  \nnext line")

    assert html == (
        "<p><em>em</em> <strong>strong</strong> <s>gone</s> <code>code</code><br>\nnext line</p>"
    )


def test_lists_keep_their_start_number():
    html = render_markdown("- one\n- two\n\nText\n\n3. three\n4. four")

    assert html == (
        "<ul>\n<li>one</li>\n<li>two</li>\n</ul>\n<p>Text</p>\n"
        '<ol start="3">\n<li>three</li>\n<li>four</li>\n</ol>'
    )


def test_blockquote_and_rule():
    assert render_markdown("> quoted\n\n---") == (
        "<blockquote>\n<p>quoted</p>\n</blockquote>\n<hr>"
    )


@pytest.mark.parametrize(
    ("source", "href"),
    [
        pytest.param("[site](https://example.org/a?b=1&c=2)", "https://example.org/a?b=1&c=2"),
        pytest.param("[site](http://example.org)", "http://example.org"),
        pytest.param("<https://example.org/path>", "https://example.org/path"),
        pytest.param("[write](mailto:press@example.org)", "mailto:press@example.org"),
        pytest.param("<press@example.org>", "mailto:press@example.org"),
    ],
)
def test_safe_links_survive_with_rel(source, href):
    (tag, attrs), *_ = [t for t in parse(render_markdown(source)).tags if t[0] == "a"]

    assert attrs == {"href": href, "rel": "noopener noreferrer nofollow"}


def test_link_title_survives_and_is_escaped():
    html = render_markdown('[site](https://example.org "Our \\"site\\" <here>")')

    assert parse(html).tags[1] == (
        "a",
        {
            "href": "https://example.org",
            "title": 'Our "site" <here>',
            "rel": "noopener noreferrer nofollow",
        },
    )


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("[home](/letters/)", id="relative"),
        pytest.param("[ftp](ftp://example.org/file)", id="other-scheme"),
        pytest.param("[tel](tel:+15555550100)", id="tel"),
    ],
)
def test_links_outside_the_scheme_allow_list_are_not_links(source):
    assert [tag for tag, _ in parse(render_markdown(source)).tags] == ["p"]


def test_images_render_as_alt_text_without_a_request():
    html = render_markdown("![A *signed* letter](https://example.org/scan.png)")

    assert html == "<p>A signed letter</p>"


def test_tables_without_alignment_styles():
    html = render_markdown("| Org | City |\n|:--|--:|\n| A & B | Kyiv |")

    assert html == (
        "<table>\n<thead>\n<tr>\n<th>Org</th>\n<th>City</th>\n</tr>\n</thead>\n"
        "<tbody>\n<tr>\n<td>A &amp; B</td>\n<td>Kyiv</td>\n</tr>\n</tbody>\n</table>"
    )


def test_code_block_content_is_escaped_and_language_class_dropped():
    html = render_markdown('```html\n<a href="x">&amp;</a>\n```')

    assert html == '<pre><code>&lt;a href="x"&gt;&amp;amp;&lt;/a&gt;\n</code></pre>'


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("我们呼吁立即释放所有被拘留的记者。", id="chinese"),
        pytest.param("བོད་ཀྱི་སྐད་ཡིག་ནི་ང་ཚོའི་རིག་གཞུང་ཡིན།", id="tibetan"),
        pytest.param(
            "بىز بارلىق تۇتقۇن قىلىنغانلارنىڭ قويۇپ بېرىلىشىنى تەلەپ قىلىمىز.", id="uyghur"
        ),
    ],
)
def test_non_latin_text_survives_unchanged(text):
    assert render_markdown(text) == f"<p>{text}</p>"
    assert render_markdown(f"# {text}") == f"<h2>{text}</h2>"
    assert markdown_to_plain_text(text) == text


def test_render_returns_safe_string_and_tolerates_empty_input():
    assert isinstance(render_markdown("x"), SafeString)
    assert render_markdown("") == ""
    assert markdown_to_plain_text("") == ""


def test_plain_text_strips_formatting_and_collapses_whitespace():
    source = (
        "# Free the press\n\n"
        "We, the **undersigned**,   call on [the minister](https://example.org)\n"
        "to act.\n\n"
        "- release *all*\n- now  \n  please\n\n"
        "![scan](https://example.org/x.png) `code` &amp; <b>raw</b>"
    )

    assert markdown_to_plain_text(source) == (
        "Free the press We, the undersigned, call on the minister to act. "
        "release all now please scan code & <b>raw</b>"
    )


def test_markdown_filter_renders_through_the_template_engine():
    template = Template("{% load letters_tags %}{{ body|markdown }}")

    html = template.render(Context({"body": "# Hi <script>x</script>"}))

    assert html == "<h2>Hi &lt;script&gt;x&lt;/script&gt;</h2>"


def test_markdown_filter_on_missing_body_renders_nothing():
    template = Template("{% load letters_tags %}{{ body|markdown }}")

    assert template.render(Context({"body": None})) == ""


def test_the_cached_rendering_equals_the_rendering_and_is_reused(settings):
    from django.core.cache import cache

    from letters.markdown import render_markdown_cached

    # (the test's own cache starts empty: tests/conftest.py fresh_cache)
    text = "# Title\n\nSome *text* with a [link](https://example.org)."

    first = render_markdown_cached(text)
    second = render_markdown_cached(text)

    assert first == second == render_markdown(text)
    assert len([k for k in cache._cache if "markdown:" in k]) == 1


def test_the_reading_text_has_the_words_without_markdowns_marks():
    from letters.markdown import markdown_to_reading_text

    text = markdown_to_reading_text(
        "## What we ask\n\nWe **urge** you to [act](https://example.org/a).\n\n"
        "1. Name the *people*.\n2. End it.\n\n- one\n- two\n\n> Quoted."
    )

    assert text == (
        "What we ask\n\nWe urge you to act (https://example.org/a).\n\n"
        "1. Name the people.\n\n2. End it.\n\n• one\n\n• two\n\nQuoted."
    )
