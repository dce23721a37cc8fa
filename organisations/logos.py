"""Logo uploads: only real PNG, JPEG or WebP images within size and pixel limits, re-encoded
so that nothing but pixels survives (no EXIF, GPS or embedded payloads), under a name the
server chooses."""

import io
import struct
import uuid
import zlib

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

ALLOWED_FORMATS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}
MAX_SIDE = 1024  # logos are shown small; larger images are scaled down
# What Pillow raises on a file it cannot decode: a truncated or corrupt stream (OSError,
# zlib.error, EOFError, struct.error, IndexError), a malformed header (SyntaxError, ValueError),
# a compressed text chunk larger than PngImagePlugin.MAX_TEXT_CHUNK (ValueError).
UNREADABLE = (
    UnidentifiedImageError,
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    IndexError,
    struct.error,
    zlib.error,
)


def clean_logo(upload: UploadedFile) -> ContentFile:
    if upload.size is not None and upload.size > settings.LOGO_MAX_BYTES:
        raise ValidationError(
            _("The logo is too large: at most %(mb)d MB.")
            % {"mb": settings.LOGO_MAX_BYTES // (1024 * 1024)}
        )
    data = upload.read()
    try:
        with Image.open(io.BytesIO(data)) as probe:
            kind = probe.format
            width, height = probe.size
            probe.verify()
    except Image.DecompressionBombError as exc:
        raise ValidationError(_("This image has too many pixels.")) from exc
    except UNREADABLE as exc:
        raise ValidationError(_("This file is not an image we can read.")) from exc
    if kind not in ALLOWED_FORMATS:
        raise ValidationError(_("Upload a PNG, JPEG or WebP image."))
    if width * height > settings.LOGO_MAX_PIXELS:
        raise ValidationError(_("This image has too many pixels."))

    # verify() reads the chunks' checksums, not the pixels: a truncated JPEG, a corrupt
    # compressed stream or an oversized text chunk only fails here, when decoded.
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            image.thumbnail((MAX_SIDE, MAX_SIDE))
            has_alpha = image.mode in {"RGBA", "LA", "PA"} or "transparency" in image.info
            clean = image.convert("RGBA" if has_alpha else "RGB")
    except Image.DecompressionBombError as exc:
        raise ValidationError(_("This image has too many pixels.")) from exc
    except UNREADABLE as exc:
        raise ValidationError(
            _("This image is damaged or incomplete and cannot be read. Try saving it again.")
        ) from exc
    out = io.BytesIO()
    # Re-encoding without passing info/exif drops every piece of metadata.
    if has_alpha or kind == "PNG":
        clean.save(out, format="PNG", optimize=True)
        extension = "png"
    else:
        clean.save(out, format="JPEG", quality=88)
        extension = "jpg"
    return ContentFile(out.getvalue(), name=f"{uuid.uuid4().hex}.{extension}")
