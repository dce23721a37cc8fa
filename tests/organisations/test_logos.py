"""Logo uploads (DESIGN.md §9): PNG/JPEG/WebP only, size and pixel limits, re-encoded so that
no metadata survives, stored under a name the server chooses."""

import io
import re

import pytest
from django.core.exceptions import ValidationError
from PIL import Image

from organisations.forms import OrganisationCreateForm
from organisations.logos import clean_logo

from .images import SVG, image_bytes, jpeg_with_gps, noisy_png, png_with_text, upload

SERVER_NAME = re.compile(r"^[0-9a-f]{32}\.(png|jpg)$")


def reopen(content) -> Image.Image:
    return Image.open(io.BytesIO(content.read()))


def test_a_png_is_accepted_and_re_encoded_under_a_server_name():
    cleaned = clean_logo(upload(image_bytes("PNG"), name="../../etc/passwd.png"))

    assert SERVER_NAME.match(cleaned.name)
    assert cleaned.name.endswith(".png")
    image = reopen(cleaned)
    assert (image.format, image.size) == ("PNG", (40, 30))


def test_a_jpeg_is_accepted_as_jpeg():
    cleaned = clean_logo(upload(image_bytes("JPEG"), name="logo.jpeg", content_type="image/jpeg"))

    assert cleaned.name.endswith(".jpg")
    assert reopen(cleaned).format == "JPEG"


def test_a_webp_is_accepted():
    cleaned = clean_logo(upload(image_bytes("WEBP"), name="logo.webp", content_type="image/webp"))

    assert SERVER_NAME.match(cleaned.name)
    assert reopen(cleaned).size == (40, 30)


def test_transparency_survives_as_png():
    data = image_bytes("WEBP", mode="RGBA", color=(255, 0, 0, 0))

    cleaned = clean_logo(upload(data, name="logo.webp"))

    image = reopen(cleaned)
    assert (image.format, image.mode) == ("PNG", "RGBA")
    assert image.getpixel((0, 0))[3] == 0


def test_exif_and_gps_are_stripped_from_a_jpeg():
    cleaned = clean_logo(upload(jpeg_with_gps(), name="photo.jpg", content_type="image/jpeg"))

    data = cleaned.read()
    image = Image.open(io.BytesIO(data))
    assert dict(image.getexif()) == {}
    assert "exif" not in image.info
    assert b"Exif" not in data
    assert b"SpyCam" not in data


def test_text_chunks_are_stripped_from_a_png():
    cleaned = clean_logo(upload(png_with_text()))

    data = cleaned.read()
    assert "Comment" not in Image.open(io.BytesIO(data)).info
    assert b"safe house" not in data


def test_a_large_image_is_scaled_down():
    cleaned = clean_logo(upload(image_bytes("PNG", size=(3000, 1500))))

    assert reopen(cleaned).size == (1024, 512)


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (image_bytes("GIF"), "logo.gif", "Upload a PNG, JPEG or WebP image."),
        (image_bytes("BMP"), "logo.bmp", "Upload a PNG, JPEG or WebP image."),
        (SVG, "logo.svg", "This file is not an image we can read."),
        (b"just some text", "logo.png", "This file is not an image we can read."),
        (image_bytes("PNG")[:40], "truncated.png", "This file is not an image we can read."),
    ],
)
def test_other_files_are_refused(data, name, message):
    with pytest.raises(ValidationError) as caught:
        clean_logo(upload(data, name=name))

    assert caught.value.messages == [message]


def test_the_default_size_limit_is_two_megabytes():
    data = noisy_png((900, 900))
    assert len(data) > 2 * 1024 * 1024

    with pytest.raises(ValidationError) as caught:
        clean_logo(upload(data))

    assert caught.value.messages == ["The logo is too large: at most 2 MB."]


def test_an_image_over_the_pixel_limit_is_refused():
    # 5000 × 5000 one-bit pixels: a tiny file, but 25 million pixels (the limit is 16 million).
    data = image_bytes("PNG", size=(5000, 5000), mode="1", color=1)
    assert len(data) < 100_000

    with pytest.raises(ValidationError) as caught:
        clean_logo(upload(data))

    assert caught.value.messages == ["This image has too many pixels."]


def test_the_form_cleans_the_logo_with_clean_logo():
    form = OrganisationCreateForm(
        data={"name": "Lhasa Memory Archive"},
        files={"logo": upload(jpeg_with_gps(), name="gps.jpg", content_type="image/jpeg")},
    )

    assert form.is_valid(), form.errors
    logo = form.cleaned_data["logo"]
    assert SERVER_NAME.match(logo.name)
    assert dict(Image.open(io.BytesIO(logo.read())).getexif()) == {}


def test_the_form_reports_a_refused_logo_on_the_logo_field():
    form = OrganisationCreateForm(
        data={"name": "Lhasa Memory Archive"}, files={"logo": upload(SVG, name="logo.svg")}
    )

    assert form.errors == {"logo": ["This file is not an image we can read."]}
