"""PDF uploads (a recipient's response): only a real, unencrypted PDF within the size and page
limits and with no active content — no JavaScript, no launch or form-submission actions, no
embedded files or media, no XFA forms — kept under a name the server chooses.

The check walks every object reachable from the document's trailer as pypdf parses it, so
names written with #-escapes and objects inside compressed object streams are seen decoded.
Links to web pages (/URI) and inside the document (/GoTo) are allowed: they run nothing.
"""

import io
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from pypdf import PdfReader
from pypdf.errors import PdfReadError, PyPdfError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

# Keys whose mere presence means code, a hidden file or media a viewer might run.
ACTIVE_KEYS = frozenset(
    {"/JS", "/JavaScript", "/EmbeddedFiles", "/EmbeddedFile", "/EF", "/RichMedia", "/XFA"}
)
# Action types (/S) that run something or reach outside the document.
ACTIVE_ACTIONS = frozenset(
    {
        "/JavaScript",
        "/Launch",
        "/SubmitForm",
        "/ImportData",
        "/GoToE",
        "/GoToR",
        "/RichMediaExecute",
        "/Rendition",
        "/Sound",
        "/Movie",
    }
)
# A document whose object graph is larger than this is refused rather than walked forever.
MAX_OBJECTS = 200_000
# What pypdf raises on a file it cannot parse (besides its own errors).
UNREADABLE = (PdfReadError, PyPdfError, ValueError, KeyError, TypeError, IndexError, OSError)


class ActiveContent(Exception):
    pass


def _active_part(reader: PdfReader) -> str | None:
    """The first active part found in the document, or None."""
    seen: set[tuple[int, int]] = set()
    stack: list[object] = [reader.trailer]
    visited = 0
    while stack:
        node = stack.pop()
        if isinstance(node, IndirectObject):
            key = (node.idnum, node.generation)
            if key in seen:
                continue
            seen.add(key)
            node = node.get_object()
        visited += 1
        if visited > MAX_OBJECTS:
            raise ValidationError(
                _("This PDF is too complex to check. Save it again, or print it to a new PDF.")
            )
        if isinstance(node, DictionaryObject):
            for key, value in node.items():
                if key in ACTIVE_KEYS:
                    return str(key)
                if key == "/S" and isinstance(value, NameObject) and value in ACTIVE_ACTIONS:
                    return str(value)
                stack.append(value)
        elif isinstance(node, ArrayObject):
            stack.extend(node)
    return None


def clean_response_pdf(upload: UploadedFile) -> tuple[ContentFile, int]:
    """The upload as a file to store and its number of pages, or a ValidationError saying
    what is wrong in words a coordinator can act on."""
    limit = settings.RESPONSE_PDF_MAX_BYTES
    if upload.size is not None and upload.size > limit:
        raise ValidationError(
            _("The PDF is too large: at most %(mb)d MB.") % {"mb": limit // (1024 * 1024)}
        )
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise ValidationError(
            _("The PDF is too large: at most %(mb)d MB.") % {"mb": limit // (1024 * 1024)}
        )
    if b"%PDF-" not in data[:1024]:
        raise ValidationError(_("This file is not a PDF. Upload the response as a PDF file."))
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise ValidationError(
                _("This PDF is protected by a password. Upload a copy without the password.")
            )
        pages = len(reader.pages)
        active = _active_part(reader)
    except ValidationError:
        raise
    except RecursionError as exc:
        raise ValidationError(
            _("This PDF is too complex to check. Save it again, or print it to a new PDF.")
        ) from exc
    except UNREADABLE as exc:
        raise ValidationError(
            _("This PDF is damaged or incomplete and cannot be read. Try saving it again.")
        ) from exc
    if pages < 1:
        raise ValidationError(_("This PDF has no pages."))
    if pages > settings.RESPONSE_PDF_MAX_PAGES:
        raise ValidationError(
            _("This PDF has too many pages: at most %(pages)d.")
            % {"pages": settings.RESPONSE_PDF_MAX_PAGES}
        )
    if active is not None:
        raise ValidationError(
            _(
                "This PDF contains active content (scripts, embedded files, forms that send "
                "data or actions that open other files), which could harm its readers. Print "
                "it to a new PDF, or save it without them, and upload that."
            )
        )
    return ContentFile(data, name=f"{uuid.uuid4().hex}.pdf"), pages
