"""Whole pages kept compressed in the cache, for visitors without a session (issue 16).

A page every visitor sees alike (the letter page, its embed) is rendered once, gzipped once and
kept in the cache as gzip. A client that accepts gzip is sent those bytes as they are: neither
rendering nor compressing costs anything per request, and a page of 1,000 names travels as a
tenth of its size. The rare client that does not accept gzip gets the page decompressed.

BREACH (a secret guessed from the compressed size of responses that also reflect the
attacker's input) needs a secret in the response. These pages have none: they are only ever
cached for a request without a session or a messages cookie (letters.views.publication's
anonymous_page_key), and a visitor's page carries no CSRF token (the language links are links,
not a form) and no nonce. Nothing else in the site is compressed by the application: a page
with a form is left to a reverse proxy to decide, as DESIGN.md §9 leaves TLS.
"""

import gzip
import re

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers

# gzip's level 6: within a few per cent of 9's size for HTML, at a fraction of its time; paid
# once per page and version, not per request.
LEVEL = 6
_GZIP = re.compile(r"(?:^|,)\s*gzip\s*(?:;\s*q\s*=\s*([0-9.]+))?\s*(?:,|$)", re.IGNORECASE)


def compress(content: bytes) -> bytes:
    """The bytes to keep: gzip, with no timestamp, so the same page always compresses alike."""
    return gzip.compress(content, compresslevel=LEVEL, mtime=0)


def accepts_gzip(request: HttpRequest) -> bool:
    """Whether the client said it takes gzip (and not with q=0)."""
    match = _GZIP.search(request.headers.get("Accept-Encoding", ""))
    if match is None:
        return False
    quality = match.group(1)
    try:
        return quality is None or float(quality) > 0
    except ValueError:
        return False


def page_response(request: HttpRequest, compressed: bytes, **kwargs) -> HttpResponse:
    """The response for a page kept by compress(): as it is for a client that takes gzip,
    decompressed for one that does not. Either way it varies with Accept-Encoding, so a shared
    cache never hands the gzip to a client that cannot read it."""
    if accepts_gzip(request):
        response = HttpResponse(compressed, **kwargs)
        response["Content-Encoding"] = "gzip"
    else:
        response = HttpResponse(gzip.decompress(compressed), **kwargs)
    response["Content-Length"] = str(len(response.content))
    patch_vary_headers(response, ("Accept-Encoding",))
    return response
