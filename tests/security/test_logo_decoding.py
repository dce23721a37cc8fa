"""Issue 11, small item: a logo that cannot be decoded is a form error, never a 500.

A truncated JPEG, a PNG whose compressed pixel data is corrupt, and a PNG carrying a text chunk
that inflates to 100 MB all get past the first look (Image.verify()) and failed only when
re-encoded, as a 500."""

import struct
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import ImageFile

from organisations.logos import clean_logo
from tests.organisations.images import image_bytes


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def truncated_jpeg() -> bytes:
    data = image_bytes("JPEG", size=(200, 200), color="blue")
    return data[: len(data) * 2 // 3]


def corrupt_zlib_png() -> bytes:
    data = image_bytes("PNG", size=(64, 64))
    start = data.index(b"IDAT") + 4
    length = struct.unpack(">I", data[start - 8 : start - 4])[0]
    garbage = bytes(b ^ 0x5A for b in data[start + 2 : start + length])
    body = data[start : start + 2] + garbage
    return data[: start - 8] + _chunk(b"IDAT", body) + data[start + length + 4 :]


def text_bomb_png() -> bytes:
    data = image_bytes("PNG", size=(8, 8))
    bomb = b"Comment\x00\x00" + zlib.compress(b"A" * (100 * 1024 * 1024), 9)
    end = data.index(b"IEND") - 4
    return data[:end] + _chunk(b"zTXt", bomb) + data[end:]


@pytest.fixture(autouse=True)
def strict_decoding(monkeypatch):
    """Pillow's default. WeasyPrint sets ImageFile.LOAD_TRUNCATED_IMAGES = True for the whole
    process when imported (PDF exports); see the last test for that case."""
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", False)


BROKEN = {
    "truncated.jpg": truncated_jpeg,
    "corrupt.png": corrupt_zlib_png,
    "bomb.png": text_bomb_png,
}


@pytest.mark.parametrize("name", BROKEN)
def test_a_broken_image_is_a_validation_error(name):
    upload = SimpleUploadedFile(name, BROKEN[name](), content_type="image/png")
    with pytest.raises(ValidationError):
        clean_logo(upload)


@pytest.mark.django_db
@pytest.mark.parametrize("name", BROKEN)
def test_the_registration_form_says_so(client, signer, name):
    client.force_login(signer)
    upload = SimpleUploadedFile(name, BROKEN[name](), content_type="image/png")
    response = client.post(
        reverse("organisations:create"), {"name": "Logo Test Collective", "logo": upload}
    )
    assert response.status_code == 200
    assert "image" in response.context["form"].errors["logo"][0]


@pytest.mark.django_db
@pytest.mark.parametrize("name", BROKEN)
def test_with_weasyprints_lenient_decoding_it_is_never_a_500(client, signer, name, monkeypatch):
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    client.force_login(signer)
    upload = SimpleUploadedFile(name, BROKEN[name](), content_type="image/png")
    response = client.post(
        reverse("organisations:create"), {"name": "Logo Test Collective", "logo": upload}
    )
    # Refused, or accepted as the pixels that could be read, re-encoded: never a 500.
    assert response.status_code in {200, 302}
