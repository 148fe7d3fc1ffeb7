"""A client's logo: an admin's upload checked and re-encoded (Pillow), never stored as sent.

What an admin uploads may be anything: a file that is not an image, a vector image that can carry
script (SVG), a decompression bomb (a small file declaring billions of pixels), a photo with its
camera's and place's metadata. ``logo_prepare`` reads only the formats a browser shows as a plain
picture (PNG, JPEG, GIF, WebP), checks the declared size before decoding a single pixel, decodes
the first frame, turns it upright (EXIF orientation), scales it to fit ``SSO_LOGO_SIZE`` pixels
and centres it on a transparent square, then encodes a new image from the pixels alone: no
metadata, no colour profile, no animation, no comment survives. PNG when it is small enough, else
WebP. The result is small enough to live in the database (several web nodes share no media
storage) and is served by ``sso.views.client_logo`` under a URL that names its digest.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps

from sso import conf

FORMATS = ("PNG", "JPEG", "GIF", "WEBP")
ACCEPT = "image/png,image/jpeg,image/gif,image/webp"
MIN_SIDE = 16


@dataclass(frozen=True)
class PreparedLogo:
    """A re-encoded logo, ready to store: its bytes, their type, their SHA-256 and its side."""

    content: bytes
    content_type: str
    digest: str
    side: int


def _looks_like_svg(head: bytes) -> bool:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return text.startswith((b"<?xml", b"<svg", b"<!doctype svg")) or b"<svg" in text[:1024]


def logo_prepare(upload) -> PreparedLogo:
    """The re-encoded logo of ``upload`` (a Django ``UploadedFile``), or a ``ValidationError``
    that says what is wrong in words an admin can act on. Never raises anything else."""
    max_bytes = int(conf.get("SSO_LOGO_MAX_UPLOAD_BYTES"))
    if upload.size is not None and upload.size > max_bytes:
        raise ValidationError(
            _("The file is %(size)d kB; a logo may be %(max)d kB at most."),
            code="too_large",
            params={"size": -(-upload.size // 1000), "max": max_bytes // 1000},
        )
    upload.seek(0)
    data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ValidationError(
            _("The file is larger than %(max)d kB, the most a logo may be."),
            code="too_large",
            params={"max": max_bytes // 1000},
        )
    if not data:
        raise ValidationError(_("The file is empty."), code="empty")
    if _looks_like_svg(data[:2048]):
        raise ValidationError(
            _(
                "SVG images are not accepted: they can carry scripts. Upload the logo as a PNG, "
                "JPEG, GIF or WebP image."
            ),
            code="svg",
        )
    max_pixels = int(conf.get("SSO_LOGO_MAX_PIXELS"))
    try:
        image = Image.open(io.BytesIO(data), formats=FORMATS)  # reads the header only
    except Image.DecompressionBombError:  # Pillow's own, far larger limit
        raise ValidationError(
            _("The image declares far more than %(max)s pixels, the most a logo may have."),
            code="too_many_pixels",
            params={"max": f"{max_pixels:,}"},
        ) from None
    except Exception:  # Pillow raises many kinds of error on a file it cannot read
        raise ValidationError(
            _("This file is not a PNG, JPEG, GIF or WebP image (or it is damaged)."),
            code="not_image",
        ) from None
    width, height = image.size
    if width * height > max_pixels:
        raise ValidationError(
            _(
                "The image is %(width)d × %(height)d pixels; a logo may have %(max)s pixels at "
                "most (for example 2048 × 2048)."
            ),
            code="too_many_pixels",
            params={"width": width, "height": height, "max": f"{max_pixels:,}"},
        )
    if min(width, height) < MIN_SIDE:
        raise ValidationError(
            _("The image is %(width)d × %(height)d pixels; a logo needs %(min)d at least."),
            code="too_small",
            params={"width": width, "height": height, "min": MIN_SIDE},
        )
    try:
        return _reencode(image)
    except Exception:  # a header that lied, a truncated or corrupt stream
        raise ValidationError(
            _("This image could not be read: it is damaged or uses a feature not supported."),
            code="unreadable",
        ) from None


def _reencode(image: Image.Image) -> PreparedLogo:
    image.seek(0)  # an animation's first frame
    image.load()
    image = ImageOps.exif_transpose(image)
    image = image.convert("RGBA")
    box = int(conf.get("SSO_LOGO_SIZE"))
    image.thumbnail((box, box), Image.Resampling.LANCZOS)
    side = max(image.size)
    square = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    square.paste(image, ((side - image.width) // 2, (side - image.height) // 2))
    # ``square`` is built from pixels alone: it has no ``info`` (text, EXIF, ICC) to carry over.
    out = io.BytesIO()
    square.save(out, format="PNG", optimize=True)
    content, content_type = out.getvalue(), "image/png"
    if len(content) > int(conf.get("SSO_LOGO_STORED_MAX_BYTES")):
        out = io.BytesIO()
        square.save(out, format="WEBP", quality=90, method=6)
        content, content_type = out.getvalue(), "image/webp"
    if len(content) > int(conf.get("SSO_LOGO_STORED_MAX_BYTES")):
        raise ValueError("too large after re-encoding")
    return PreparedLogo(
        content=content,
        content_type=content_type,
        digest=hashlib.sha256(content).hexdigest(),
        side=side,
    )
