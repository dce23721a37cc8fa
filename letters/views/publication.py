"""The public record of a letter: its list of signatories (a section of the letter page), the
PDF and CSV exports, the coordinators' publication page (downloads, press summary, embed code)
and the embeddable count for partner websites.

Who may get what (docs/decisions.md, "Publication"):
- public PDF: whoever may read the letter; its list only when the list is public.
- public CSV: whoever may read the letter, once the list is public; 404 under embargo.
- recipient PDF, coordinator CSV and its OSDI JSON, publication page: the letter's
  coordinators, and moderators (who read everything, DESIGN.md §7); 404 for anyone else,
  login first for visitors.
- embed: anyone, for letters that are not drafts; the only page that may be framed.
"""

import copy
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.utils.html import escape
from django.utils.safestring import SafeString
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_safe

from accounts.models import User
from core import compression
from core.locale import alternates

from .. import exports, permissions, selectors
from ..models import Letter
from ..selectors import (
    ORDER_BY_NAME,
    ORDER_BY_PLACE,
    ORDERS,
    PUBLIC_EDITION,
    RECIPIENT_EDITION,
    SignatoryList,
)

MAX_QUERY_LENGTH = 100


# --- The list on the letter page ---------------------------------------------------------------


def _listing_parameters(request: HttpRequest) -> tuple[str, str, str]:
    order = request.GET.get("order", ORDER_BY_PLACE)
    if order not in ORDERS:
        order = ORDER_BY_PLACE
    query = " ".join(request.GET.get("q", "").split())[:MAX_QUERY_LENGTH]
    return order, query, request.GET.get("signatories-page", "1")


def is_anonymous(request: HttpRequest) -> bool:
    """A visitor without a session: their page is everyone's, with no secret in it (no CSRF
    token, no message), so it may be kept and sent compressed (core.compression)."""
    return (
        not request.user.is_authenticated
        and request.method in ("GET", "HEAD")
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and "messages" not in request.COOKIES
    )


def anonymous_page_key(request: HttpRequest, letter: Letter) -> str | None:
    """The cache key of the whole letter page as a visitor without a session sees it, or None
    when the page may differ for this request (logged in, a session or messages cookie, a
    search). Everything the page shows is in the key: the list's key (list_version and the
    letter's updated_at), whether the deadline has passed, the order and page, the language."""
    if not is_anonymous(request):
        return None
    order, query, page_number = _listing_parameters(request)
    if query or "text" in request.GET:
        return None
    if page_number == "1":
        number = 1  # the first page whatever the list holds: no need to read its size
    else:
        summary = selectors.public_signatory_summary(letter)
        number = (
            Paginator(range(summary.named), settings.SIGNATORIES_PER_PAGE)
            .get_page(page_number)
            .number
        )
    return _page_key(letter, order, number)


def _page_key(letter: Letter | selectors.LetterStamp, order: str, number: int) -> str:
    return (
        f"{selectors.signatory_cache_key(letter)}:page.gz:{int(letter.deadline_passed)}:{order}:"
        f"{number}:{translation.get_language()}"
    )


def cached_visitor_page(request: HttpRequest, slug: str) -> HttpResponse | None:
    """The letter page as most visitors ask for it — no session, no search, the first page
    in the default order (`?lang=` aside) — straight from the cache: one small query
    (selectors.public_letter_stamp) and one cache read. None when it is not that request or
    not cached yet: the view then does its full work, and keeps the page for the next one."""
    if not is_anonymous(request) or not set(request.GET) <= {"lang"}:
        return None
    stamp = selectors.public_letter_stamp(slug)
    if stamp is None:
        return None  # a draft or no such letter: the view answers 404 as always
    compressed = cache.get(_page_key(stamp, ORDER_BY_PLACE, 1))
    return compression.page_response(request, compressed) if compressed is not None else None


# --- A visitor's search of the list, in the page kept around it --------------------------------

# A search changes the list section and the language links (which carry the query string),
# nothing else of the page: the rest is kept, with a mark where the section goes, rendered for
# a stand-in query string, and each search puts in its own section and links (issue 16: the
# page around the matches was most of a search's time).
SEARCH_PARAMETERS = frozenset({"q", "order", "lang"})
_SECTION_MARK = "\ue004signatories\ue004"
_SHELL_QUERY = "keptsearchpage"


def _is_visitor_search(request: HttpRequest) -> bool:
    if not is_anonymous(request) or not set(request.GET) <= SEARCH_PARAMETERS:
        return False
    return bool(_listing_parameters(request)[1])


def _shell_key(letter: Letter) -> str:
    return (
        f"{selectors.signatory_cache_key(letter)}:search-shell:{int(letter.deadline_passed)}:"
        f"{translation.get_language()}"
    )


def _shell_request(request: HttpRequest) -> HttpRequest:
    shell = copy.copy(request)
    shell.META = {**request.META, "QUERY_STRING": _SHELL_QUERY}
    return shell


def _language_links(request: HttpRequest) -> list[str]:
    """The language switcher's links for this request, as the page's HTML holds them."""
    return [f'href="{escape(language["url"])}"' for language in alternates(request.get_full_path())]


def cached_visitor_search(request: HttpRequest, slug: str) -> HttpResponse | None:
    """A visitor's search of the list (`?q=`, and `order`, `lang`) in the kept page: one
    query (the letter, compiled once), the kept page and the list from the cache, and only
    the matches rendered. None when it is not that request or the page is not kept yet: the
    view does its full work, and keeps the page (keep_search_page)."""
    if not _is_visitor_search(request):
        return None
    letter = selectors.public_letter(slug)
    if letter is None:
        return None
    kept = cache.get(_shell_key(letter))
    if kept is None:
        return None
    html, current_number = kept
    for kept_link, link in zip(
        _language_links(_shell_request(request)), _language_links(request), strict=True
    ):
        html = html.replace(kept_link, link)
    html = html.replace(_SECTION_MARK, signatories_section(request, letter, current_number), 1)
    return compression.page_response(request, compression.compress(html.encode()))


def keep_search_page(
    request: HttpRequest,
    letter: Letter,
    current_number: int,
    render_page: Callable[[HttpRequest, str], HttpResponse],
) -> None:
    """After the view rendered a visitor's search in full: render the page once more with the
    section's mark, for the stand-in query string, and keep it if the query string is in the
    language links and nowhere else (a template that puts it elsewhere is never kept)."""
    if not _is_visitor_search(request):
        return
    shell_request = _shell_request(request)
    html = render_page(shell_request, SafeString(_SECTION_MARK)).content.decode()
    links = _language_links(shell_request)
    if html.count(_SECTION_MARK) != 1 or any(html.count(link) != 1 for link in links):
        return
    rest = html
    for link in links:
        rest = rest.replace(link, "")
    if _SHELL_QUERY in rest:
        return
    cache.set(_shell_key(letter), (html, current_number), settings.SIGNATORY_LIST_CACHE_SECONDS)


def signatories_section(request: HttpRequest, letter: Letter, current_number: int) -> SafeString:
    """The rendered list for the letter page. Without a search, the fragment is cached under
    the list's key (so it changes with the list), its order and page: a page with 10,000
    signatories costs two small cache reads (the numbers, the fragment) and no query."""
    order, query, page_number = _listing_parameters(request)
    summary = selectors.public_signatory_summary(letter)
    if not summary.public:
        signatories = selectors.EMBARGOED
    elif query:
        signatories = selectors.public_signatories(letter)
    else:
        # The page number as the paginator will clamp it: one cache entry per real page.
        number = (
            Paginator(range(summary.named), settings.SIGNATORIES_PER_PAGE)
            .get_page(page_number)
            .number
        )
        key = (
            f"{selectors.signatory_cache_key(letter)}:html:{order}:{number}:"
            f"{translation.get_language()}"
        )
        html = cache.get(key)
        if html is None:
            html = _render_section(
                letter,
                selectors.public_signatories(letter),
                order,
                query="",
                page_number=number,
                current=current_number,
            )
            cache.set(key, html, settings.SIGNATORY_LIST_CACHE_SECONDS)
        return SafeString(html)
    return SafeString(
        _render_section(
            letter, signatories, order, query=query, page_number="1", current=current_number
        )
    )


def _render_section(
    letter: Letter,
    signatories: SignatoryList,
    order: str,
    *,
    query: str,
    page_number: str | int,
    current: int,
) -> str:
    context = {
        "letter": letter,
        # The version each signature covers is shown when it is not the one on the page.
        "current_number": signatories.delivery.version if signatories.delivery else current,
        "signatories": signatories,
        "order": order,
        "orders": {"place": ORDER_BY_PLACE, "name": ORDER_BY_NAME},
        "query": query,
    }
    if signatories.public:
        if query:
            matches = signatories.matching(query)
            context.update(groups=signatories.groups(order, matches), matches=len(matches))
        else:
            ordered = tuple(s for g in signatories.groups(order) for s in g.signatories)
            page = Paginator(ordered, settings.SIGNATORIES_PER_PAGE).get_page(page_number)
            context.update(groups=signatories.groups(order, tuple(page)), page=page)
        context.update(
            headline=exports.headline(signatories),
            organisation_url=reverse("organisations:detail", kwargs={"slug": "-"})[:-2],
        )
    return render_to_string("letters/_signatories.html", context)


# --- Access ------------------------------------------------------------------------------------


def _letter_for_records(user: User, slug: str) -> Letter:
    """The letter if `user` coordinates it, or is a moderator and it is not a draft; 404
    otherwise (a draft's existence never leaks)."""
    return permissions.get_letter_for_records(user, slug)


def _filename(letter: Letter, suffix: str) -> str:
    return f"{letter.slug}-{suffix}"


def _pdf_response(pdf: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _csv_response(lines, filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- Exports -----------------------------------------------------------------------------------


# Seconds a visitor is asked to wait for a PDF being prepared: a list of a few hundred names
# renders in about that; a longer one takes a refresh or two.
PDF_RETRY_AFTER_SECONDS = 5


def _pdf_or_preparing(
    request: HttpRequest, letter: Letter, edition: str, filename: str
) -> HttpResponse:
    """The stored PDF, or a page saying it is being prepared: a request never renders (a long
    list takes WeasyPrint seconds, and two such requests would hold both web workers).

    The page is a 503 with Retry-After rather than a 202: a browser shows its HTML either way
    (and reloads it by its <meta http-equiv="refresh">), but a download manager, curl or wget
    given a 2xx saves the page as the PDF, while a 503 with Retry-After is the standard "try
    again shortly" that `curl --retry` and wget's retries honour, and that crawlers neither
    index nor count against the URL. Never stored by a cache (no-store): the next request
    must get the PDF."""
    pdf = exports.pdf_for_request(letter, edition)
    if pdf is not None:
        return _pdf_response(pdf, filename)
    response = render(
        request,
        "letters/pdf_preparing.html",
        {"letter": letter, "retry_after": PDF_RETRY_AFTER_SECONDS},
        status=503,
    )
    response["Retry-After"] = str(PDF_RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


@require_safe
def letter_pdf(request: HttpRequest, slug: str) -> HttpResponse:
    letter = permissions.get_visible_letter(request.user, slug)
    return _pdf_or_preparing(request, letter, PUBLIC_EDITION, _filename(letter, "letter.pdf"))


@login_required
@require_safe
def letter_pdf_recipient(request: HttpRequest, slug: str) -> HttpResponse:
    letter = _letter_for_records(request.user, slug)
    response = _pdf_or_preparing(
        request,
        letter,
        RECIPIENT_EDITION,
        _filename(letter, "recipient-edition-not-for-publication.pdf"),
    )
    response["Cache-Control"] = "private, no-store"
    return response


@require_safe
def signatories_csv(request: HttpRequest, slug: str) -> StreamingHttpResponse:
    letter = permissions.get_visible_letter(request.user, slug)
    signatories = selectors.public_signatories(letter)
    if not signatories.public:
        raise Http404  # under embargo there is nothing to export
    return _csv_response(exports.public_csv(signatories), _filename(letter, "signatories.csv"))


@login_required
@require_safe
def signatories_csv_coordinator(request: HttpRequest, slug: str) -> StreamingHttpResponse:
    letter = _letter_for_records(request.user, slug)
    response = _csv_response(
        exports.coordinator_csv(letter), _filename(letter, "signatories-confidential.csv")
    )
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_safe
def signatories_osdi_coordinator(request: HttpRequest, slug: str) -> HttpResponse:
    """The coordinators' list as OSDI JSON (exports.osdi_signatures), for the CRMs NGOs use:
    the same people and details as the confidential CSV, for the same people."""
    letter = _letter_for_records(request.user, slug)
    response = JsonResponse(
        exports.osdi_signatures(letter), json_dumps_params={"ensure_ascii": False, "indent": 2}
    )
    response["Content-Type"] = "application/hal+json; charset=utf-8"
    response["Content-Disposition"] = (
        f'attachment; filename="{_filename(letter, "signatories-confidential-osdi.json")}"'
    )
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_safe
def publication(request: HttpRequest, slug: str) -> HttpResponse:
    """The coordinators' page of downloads, the press summary and the embed code."""
    letter = _letter_for_records(request.user, slug)
    signatories = selectors.public_signatories(letter)
    # Under embargo the summary is drafted from the list as it will be published.
    draft_list = signatories if signatories.public else selectors.public_edition(letter)
    embed_url = settings.SITE_URL + reverse("letters:embed", kwargs={"slug": letter.slug})
    return render(
        request,
        "letters/publication.html",
        {
            "letter": letter,
            "signatories": signatories,
            "press_summary": exports.press_summary(letter, draft_list),
            "embed_url": embed_url,
            "embed_code": (
                f'<iframe src="{embed_url}" title="{escape(letter.title)}" width="360" height="220" '
                'loading="lazy" style="border:0"></iframe>'
            ),
            "is_coordinator": permissions.can_edit_letter(request.user, letter),
            "section": "publication",
        },
    )


# --- Embed -------------------------------------------------------------------------------------


@xframe_options_exempt
@require_safe
def embed(request: HttpRequest, slug: str) -> HttpResponse:
    """Title, count and a sign link, for a partner's <iframe>. The same for everyone (no
    cookie is read or set: a partner's page must not learn who is logged in here), so
    browsers and proxies may keep it for a minute."""
    stamp = selectors.public_letter_stamp(slug)
    if stamp is None:
        raise Http404
    accepting = stamp.open_to_visitors
    # Everyone's page: kept compressed under the list's key (which changes with the letter
    # and its list), the language and whether it takes signatures now. The letter itself is
    # read only to render it.
    key = (
        f"{selectors.signatory_cache_key(stamp)}:embed.gz:{int(accepting)}:"
        f"{translation.get_language()}"
    )
    compressed = cache.get(key)
    if compressed is None:
        letter = get_object_or_404(Letter.objects.public(), slug=slug)
        compressed = compression.compress(_embed_html(letter, accepting).encode())
        cache.set(key, compressed, settings.SIGNATORY_LIST_CACHE_SECONDS)
    response = compression.page_response(request, compressed)
    # The site's policy, except who may frame this one page (settings.EMBED_FRAME_ANCESTORS).
    # Set per response rather than with @csp_override, so the setting is read at request time.
    response._csp_config = {
        **settings.SECURE_CSP,
        "frame-ancestors": list(settings.EMBED_FRAME_ANCESTORS),
    }
    patch_cache_control(response, public=True, max_age=60)
    return response


def _embed_html(letter: Letter, accepting: bool) -> str:
    signatories = selectors.public_signatory_summary(letter)
    letter_url = settings.SITE_URL + letter.get_absolute_url()
    return render_to_string(
        "letters/embed.html",
        {
            "letter": letter,
            "signatories": signatories,
            "headline": exports.headline(signatories) if signatories.public else "",
            "letter_url": letter_url,
            "sign_url": settings.SITE_URL + reverse("letters:sign", kwargs={"slug": letter.slug})
            if accepting
            else "",
        },
    )
