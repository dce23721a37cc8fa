"""Letter text: Markdown in, sanitised HTML (or plain text) out.

Letters are written by coordinators and read by anyone, so their text is untrusted input
rendered on public pages. Two independent steps stand between it and the browser:

1. **markdown-it-py with raw HTML off.** Any ``<tag>`` the author types is escaped as text,
   and link destinations are checked against the same scheme allow-list as step 2, so the
   renderer itself only ever emits the markup its own rules produce.
2. **nh3 (ammonia) on the rendered HTML.** An allow-list of tags and attributes, URL schemes
   limited to http, https and mailto (relative URLs dropped), and ``rel`` forced on links.

Step 1 alone would be safe today, but one renderer option flipped on (``html=True``, a
plugin that emits attributes, a bug in a link normaliser) would turn every letter into a
stored-XSS vector. Step 2 makes the guarantee independent of how the HTML was produced;
step 1 keeps the output meaningful (escaped ``<b>`` shows as text instead of vanishing).

Two rendering choices beyond sanitising:

- Headings start one level below the page's ``<h1>``: the text's highest heading becomes
  ``<h2>``, and the levels under it keep their distance (clamped at ``<h4>``). A letter written
  with ``##`` sections reads ``<h1>`` → ``<h2>``, never skipping a level (axe and the Nu
  checker's heading order), and the author's hierarchy is kept instead of flattened.
- Images render as their alt text. An ``<img>`` pointing elsewhere would make every reader's
  browser call a third party (DESIGN §2: no third-party request from any page or email).
"""

import hashlib
import re
from collections.abc import Sequence

import nh3
from django.core.cache import cache
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.renderer import RendererHTML
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

ALLOWED_URL_SCHEMES = frozenset({"http", "https", "mailto"})

ALLOWED_TAGS = frozenset(
    {
        "p",
        "br",
        "strong",
        "em",
        "a",
        "ul",
        "ol",
        "li",
        "blockquote",
        "h2",
        "h3",
        "h4",
        "code",
        "pre",
        "hr",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "del",
        "s",
    }
)

# ``start`` on <ol> keeps "3. Our third demand" numbered 3 after an interrupting paragraph;
# it is an integer to the browser and cannot carry script. Everything else (id, class,
# style, on*) is dropped, including the ``style="text-align:…"`` markdown-it puts on cells.
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}

LINK_REL = "noopener noreferrer nofollow"

_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):", re.IGNORECASE)
_WHITESPACE = re.compile(r"\s+")
_TOP_HEADING_LEVEL = 2
_BOTTOM_HEADING_LEVEL = 4


def _is_allowed_link(url: str) -> bool:
    """markdown-it's link validator: absolute http(s)/mailto URLs only.

    The URL arrives normalised (entities decoded, control characters and spaces
    percent-encoded), so ``java&#x09;script:`` reaches here as ``java%09script:``, which has
    no scheme at all and is refused like any other relative URL. A refused link stays in the
    text as the literal Markdown the author typed, which they will notice in the preview.
    """
    match = _SCHEME.match(url.strip())
    return match is not None and match.group(1).lower() in ALLOWED_URL_SCHEMES


def _demote_headings(state: StateCore) -> None:
    headings = [t for t in state.tokens if t.type in ("heading_open", "heading_close")]
    if not headings:
        return
    shift = _TOP_HEADING_LEVEL - min(int(token.tag[1]) for token in headings)
    for token in headings:
        level = int(token.tag[1]) + shift
        token.tag = f"h{min(max(level, _TOP_HEADING_LEVEL), _BOTTOM_HEADING_LEVEL)}"


def _render_image_as_alt_text(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    return escapeHtml(self.renderInlineAsText(tokens[idx].children or [], options, env))


def _build_markdown() -> MarkdownIt:
    md = MarkdownIt(
        "commonmark",
        {"html": False, "linkify": False, "typographer": False, "xhtmlOut": False},
    ).enable(["table", "strikethrough"])
    md.validateLink = _is_allowed_link  # type: ignore[method-assign]
    md.core.ruler.push("demote_headings", _demote_headings)
    md.add_render_rule("image", _render_image_as_alt_text)
    return md


_MARKDOWN = _build_markdown()

_SANITISER = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    # Content of these is removed with the tag. Raw HTML is escaped by step 1 so they should
    # never arrive; if they do, their text (a script body, a stylesheet) is not prose.
    clean_content_tags={"script", "style", "noscript", "template", "iframe", "object"},
    attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
    url_schemes=set(ALLOWED_URL_SCHEMES),
    url_relative="deny",
    link_rel=LINK_REL,
    strip_comments=True,
)


def render_markdown(text: str) -> SafeString:
    """Render a letter's Markdown to HTML that is safe to put on a page unescaped."""
    # mark_safe is justified by the sanitiser, which is the last thing to touch the string.
    return mark_safe(sanitise_html(_MARKDOWN.render(text or "")).strip())  # noqa: S308


# Bump when the rendering rules change, so that cached renderings of the old rules are ignored.
RENDERING_VERSION = 2  # 2: headings start at <h2> whatever level the text starts at


def render_markdown_cached(text: str) -> SafeString:
    """render_markdown, remembered in the cache under the SHA-256 of the text: a letter's text
    never changes once saved (versions are immutable), and pages render it on every request."""
    key = f"markdown:{RENDERING_VERSION}:{hashlib.sha256(text.encode('utf-8')).hexdigest()}"
    html = cache.get(key)
    if html is None:
        html = str(render_markdown(text))
        cache.set(key, html, timeout=7 * 24 * 3600)
    return mark_safe(html)  # noqa: S308 - sanitised by render_markdown before it was cached


def sanitise_html(html: str) -> str:
    """Reduce any HTML fragment to the letter allow-list (step 2 on its own)."""
    return _SANITISER.clean(html)


def markdown_to_plain_text(text: str) -> str:
    """The words of a letter without formatting, on one line: for meta descriptions, email
    previews and search. Not HTML-escaped — let the template or email layer do that."""
    parts: list[str] = []
    for token in _MARKDOWN.parse(text or ""):
        if token.type == "inline":
            parts.extend(_inline_text(token.children or []))
        elif token.type in ("fence", "code_block"):
            parts.append(token.content)
        parts.append(" ")
    return _WHITESPACE.sub(" ", "".join(parts)).strip()


def markdown_to_reading_text(text: str) -> str:
    """The text as a reader sees it, without Markdown's marks, for comparing two versions:
    one block (paragraph, heading, list item, quote line) per line, blank lines between
    paragraphs and headings, list items as "• " or "3. ", a link as "its words (its address)"
    so that a changed destination shows. `**`, `##`, `[…](…)` and `>` never appear. Not
    HTML-escaped: letters.diffs escapes every piece."""
    blocks: list[str] = []
    prefixes: list[str] = []  # the open lists: "•" or the next number
    numbers: list[int] = []
    item_prefix = ""
    for token in _MARKDOWN.parse(text or ""):
        if token.type == "bullet_list_open":
            prefixes.append("•")
            numbers.append(0)
        elif token.type == "ordered_list_open":
            prefixes.append("#")
            numbers.append(int(token.attrGet("start") or 1) - 1)
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            prefixes.pop()
            numbers.pop()
        elif token.type == "list_item_open":
            numbers[-1] += 1
            mark = f"{numbers[-1]}." if prefixes[-1] == "#" else "•"
            item_prefix = "  " * (len(prefixes) - 1) + mark + " "
        elif token.type == "inline":
            words = _WHITESPACE.sub(
                " ", "".join(_inline_text(token.children or [], link_addresses=True))
            ).strip()
            blocks.append(item_prefix + words)
            item_prefix = ""
        elif token.type in ("fence", "code_block"):
            blocks.append(token.content.strip("\n"))
        elif token.type == "hr":
            blocks.append("—")
    return "\n\n".join(block for block in blocks if block)


def _inline_text(children: Sequence[Token], *, link_addresses: bool = False) -> list[str]:
    """The words of an inline run; with `link_addresses`, each link's words are followed by
    its address in brackets."""
    parts: list[str] = []
    href = None
    for child in children:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image":
            parts.extend(_inline_text(child.children or []))
        elif link_addresses and child.type == "link_open":
            href = child.attrGet("href")
        elif link_addresses and child.type == "link_close" and href:
            parts.append(f" ({href})")
            href = None
    return parts
