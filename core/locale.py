"""The language of each request, and the helpers every app uses to speak the reader's language.

A request's language is, in this order: `?lang=` (a shareable link to a page in a language,
e.g. a letter page sent to Chinese-reading partners), the account's saved choice, the cookie
the language switcher sets for visitors, the browser's Accept-Language, English. A `?lang=`
link also sets the visitor's cookie, so the pages they go on to read stay in that language;
for a logged-in reader it changes that request only (the switcher saves the account's).
"""

from collections.abc import Iterable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.deprecation import MiddlewareMixin

QUERY_PARAMETER = "lang"


def supported(code: str | None) -> str | None:
    """The configured language `code` names (any case, a regional variant: zh-TW → zh-hant),
    or None."""
    if not code or len(code) > 20:
        return None
    try:
        return translation.get_supported_language_variant(code.strip().lower())
    except LookupError:
        return None


def language_codes() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def is_bidi(code: str) -> bool:
    return bool(translation.get_language_info(code)["bidi"])


def direction(code: str) -> str:
    return "rtl" if is_bidi(code) else "ltr"


# BCP 47 tags for lang attributes and hreflang: Django's codes are lower case (zh-hans);
# browsers and search engines read them case-insensitively, but the registered forms are these.
_BCP47 = {"zh-hans": "zh-Hans", "zh-hant": "zh-Hant"}


def bcp47(code: str) -> str:
    return _BCP47.get(code, code)


def without_language_parameter(url: str) -> str:
    """`url` without its `?lang=`: where the switcher sends the reader back to (a `?lang=`
    left in it would win over the choice just made)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "lang"]
    return urlunsplit(parts._replace(query=urlencode(query)))


def with_language(url: str, code: str) -> str:
    """`url` with `?lang=code`: a link that opens the page in that language."""
    parts = urlsplit(without_language_parameter(url))
    query = parse_qsl(parts.query, keep_blank_values=True) + [(QUERY_PARAMETER, code)]
    return urlunsplit(parts._replace(query=urlencode(query)))


def alternates(url: str, codes: Iterable[str] | None = None) -> list[dict[str, str]]:
    """The page at `url` in each language: for hreflang links and the letter's language list."""
    return [
        {
            "code": code,
            "tag": bcp47(code),
            "name": translation.get_language_info(code)["name_local"],
            "url": with_language(url, code),
        }
        for code in (codes if codes is not None else language_codes())
    ]


class LanguageMiddleware(MiddlewareMixin):
    """Activates the request's language (module docstring); after AuthenticationMiddleware,
    since an account's choice counts. Answers say that they vary with the language's sources
    and in which language they are (Content-Language)."""

    def process_request(self, request: HttpRequest) -> None:
        from_query = supported(request.GET.get(QUERY_PARAMETER))
        request.language_from_query = from_query  # type: ignore[attr-defined]
        user = getattr(request, "user", None)
        from_account = (
            supported(getattr(user, "language", "")) if user and user.is_authenticated else None
        )
        language = from_query or from_account or translation.get_language_from_request(request)
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        language = getattr(request, "LANGUAGE_CODE", None) or translation.get_language()
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
        response.headers.setdefault("Content-Language", bcp47(language))
        from_query = getattr(request, "language_from_query", None)
        user = getattr(request, "user", None)
        anonymous = user is None or not user.is_authenticated
        if (
            from_query
            and anonymous
            and request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) != from_query
        ):
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                from_query,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                path=settings.LANGUAGE_COOKIE_PATH,
                domain=settings.LANGUAGE_COOKIE_DOMAIN,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            )
        return response


def context(request: HttpRequest) -> dict[str, object]:
    """Template context (settings.TEMPLATES): the switcher's languages, each with the link
    that opens this page in it, and the page's own language as a BCP 47 tag."""
    current = translation.get_language() or settings.LANGUAGE_CODE
    path = request.get_full_path() if hasattr(request, "path") else "/"

    def switcher(url: str) -> list[dict[str, object]]:
        return [
            {**language, "current": language["code"] == current, "dir": direction(language["code"])}
            for language in alternates(url)
        ]

    return {
        "switcher_languages": switcher(path),
        # Error pages link home instead (config.views._error).
        "switcher_languages_home": switcher("/"),
        "switcher_next": without_language_parameter(path),
        "LANGUAGE_TAG": bcp47(current),
    }


# --- The language of a name, from its script -------------------------------------------------

_CHINESE_TRADITIONAL_PLACES = (
    "hong kong",
    "香港",
    "taiwan",
    "台灣",
    "臺灣",
    "台湾",
    "macau",
    "macao",
    "澳門",
    "澳门",
)


def _in(ranges: tuple[tuple[int, int], ...], char: str) -> bool:
    code = ord(char)
    return any(start <= code <= end for start, end in ranges)


_TIBETAN = ((0x0F00, 0x0FFF),)
_ARABIC = ((0x0600, 0x06FF), (0x0750, 0x077F), (0xFB50, 0xFDFF), (0xFE70, 0xFEFF))
_HAN = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x3134F))


def script_language(text: str, place: str = "") -> str:
    """The BCP 47 tag for a name typed by its organisation (organisation names, places), so
    that fonts draw it with the right glyph forms: "bo" for Tibetan script, "ug" for Arabic
    script (the Uyghurs' on this site), "zh-Hant" for Chinese of Hong Kong, Taiwan or Macau or
    written in Traditional characters, "zh-Hans" for other Chinese, "" for anything else (the
    page's own language applies). Direction comes from the content (dir="auto", <bdi>)."""
    for char in text:
        if _in(_TIBETAN, char):
            return "bo"
        if _in(_ARABIC, char):
            return "ug"
        if _in(_HAN, char):
            break
    else:
        return ""
    place = place.casefold()
    if any(name in place for name in _CHINESE_TRADITIONAL_PLACES):
        return "zh-Hant"
    han = "".join(char for char in text if _in(_HAN, char))
    try:
        han.encode("gb2312")  # every character has its Simplified form: mainland usage
    except UnicodeEncodeError:
        try:
            han.encode("big5")  # Traditional characters only
        except UnicodeEncodeError:
            return "zh"
        return "zh-Hant"
    return "zh-Hans"
