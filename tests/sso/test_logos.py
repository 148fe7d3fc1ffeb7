"""Client logos: an admin uploads one on the client's admin page; Pillow checks and re-encodes
it (no metadata, at most 256 x 256, PNG or WebP), SVG and bad files are refused with a form
error; it is stored in the database and served with a long cache, an ETag (304) and nosniff; it
shows on the sign-in page of the app's authorize step, its consent page, /account/'s app list
and the ticket page, with the app's name as its alt text."""

from __future__ import annotations

import hashlib
import io
import random
from http import HTTPStatus

import factory
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client as Browser
from django.test.utils import CaptureQueriesContext
from PIL import Image, PngImagePlugin

from sso import services
from sso.logos import logo_prepare
from sso.models import Client, ClientLogo
from tests.factories import SuperuserFactory, otp_force_login
from tests.sso.oidc import (
    REDIRECT,
    authorize_query,
    pkce,
    register,
    signed_in_browser,
    tokens_for,
)
from tests.tickets.conftest import admin_client_for, make_agent
from tests.tickets.factories import TicketFactory

pytestmark = pytest.mark.django_db


class ClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Client

    name = factory.Sequence(lambda n: f"App {n}")
    client_type = Client.CLIENT_CONFIDENTIAL
    skip_authorization = True
    redirect_uris = REDIRECT
    client_secret = factory.Faker("pystr", min_chars=40, max_chars=40)


def image_bytes(fmt="PNG", size=(300, 150), mode="RGB", **save) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, "#c0392b" if mode != "L" else 128).save(out, format=fmt, **save)
    return out.getvalue()


def upload(data: bytes, name="logo.png", content_type="image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def with_logo(client: Client, data: bytes | None = None) -> Client:
    services.client_logo_set(client=client, logo=logo_prepare(upload(data or image_bytes())))
    return client


# --- Re-encoding ------------------------------------------------------------------------------
def test_a_logo_is_re_encoded_square_at_most_256_without_metadata():
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "secret location")
    exif = Image.Exif()
    exif[0x010F] = "Camera maker"  # Make
    exif[0x013B] = "Zhang Wei"  # Artist
    sources = [
        image_bytes("PNG", (1000, 500), pnginfo=info),
        image_bytes("JPEG", (800, 800), exif=exif.tobytes()),
        image_bytes("GIF", (64, 64), mode="P"),
        image_bytes("WEBP", (300, 600), mode="RGBA"),
    ]
    assert Image.open(io.BytesIO(sources[0])).info["Comment"] == "secret location"
    assert Image.open(io.BytesIO(sources[1])).getexif()[0x013B] == "Zhang Wei"
    for data in sources:
        logo = logo_prepare(upload(data))
        image = Image.open(io.BytesIO(logo.content))
        assert logo.content_type == "image/png" and image.format == "PNG"
        assert image.size == (logo.side, logo.side) and logo.side <= 256
        assert not {"Comment", "exif", "icc_profile"} & set(image.info)
        assert not image.getexif()
        assert logo.digest == hashlib.sha256(logo.content).hexdigest()
    assert logo_prepare(upload(image_bytes("GIF", (64, 64), mode="P"))).side == 64  # no upscale


def test_the_exif_orientation_is_applied_then_dropped():
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated 90 degrees: a 300x100 photo shows 100x300
    logo = logo_prepare(upload(image_bytes("JPEG", (300, 100), exif=exif.tobytes())))
    image = Image.open(io.BytesIO(logo.content)).convert("RGBA")
    assert image.size == (256, 256)
    # Upright it is tall: the left and right margins are transparent, the top row is not.
    assert image.getpixel((5, 128))[3] == 0 and image.getpixel((128, 2))[3] == 255


def test_a_noisy_logo_too_large_as_png_is_stored_as_webp():
    noise = Image.frombytes("RGB", (256, 256), random.Random(14).randbytes(256 * 256 * 3))
    out = io.BytesIO()
    noise.save(out, format="PNG")
    logo = logo_prepare(upload(out.getvalue()))
    assert logo.content_type == "image/webp" and len(logo.content) <= 200_000
    assert Image.open(io.BytesIO(logo.content)).format == "WEBP"


# --- Refusals ---------------------------------------------------------------------------------
SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
)


def _bomb() -> bytes:
    """A PNG of a few kB that declares 5 000 x 5 000 pixels (25 megapixels)."""
    out = io.BytesIO()
    Image.new("1", (5_000, 5_000)).save(out, format="PNG")
    return out.getvalue()


def _huge_bomb() -> bytes:
    """One that declares 20 000 x 20 000 (400 megapixels: past Pillow's own limit too)."""
    out = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(out, format="PNG")
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (SVG, "svg"),
        (b"\n  <svg viewBox='0 0 1 1'></svg>", "svg"),
        (b"%PDF-1.7 not an image at all", "not_image"),
        (b"", "empty"),
        (image_bytes("BMP", (64, 64)), "not_image"),  # a format no logo needs
        (image_bytes("PNG", (64, 64))[:60], "unreadable"),  # truncated after the header
        (image_bytes("PNG", (8, 8)), "too_small"),
    ],
)
def test_what_is_not_a_usable_image_is_refused(data, code):
    with pytest.raises(ValidationError) as refused:
        logo_prepare(upload(data))
    assert refused.value.code == code, refused.value


@pytest.mark.parametrize("make", [_bomb, _huge_bomb])
def test_a_decompression_bomb_is_refused_before_decoding(make):
    data = make()
    assert len(data) < 100_000
    with pytest.raises(ValidationError) as refused:
        logo_prepare(upload(data))
    assert refused.value.code == "too_many_pixels"


def test_a_file_over_the_byte_limit_is_refused(settings):
    settings.SSO_LOGO_MAX_UPLOAD_BYTES = 10_000
    with pytest.raises(ValidationError) as refused:
        logo_prepare(upload(image_bytes("PNG", (64, 64)) + b"\0" * 10_000))
    assert refused.value.code == "too_large"


# --- The admin --------------------------------------------------------------------------------
@pytest.fixture
def admin_browser(db):
    browser = Browser(HTTP_ACCEPT_LANGUAGE="en")
    otp_force_login(browser, SuperuserFactory())
    return browser


def _change(browser, client: Client, **extra):
    url = f"/admin/sso/client/{client.pk}/change/"
    page = browser.get(url)
    assert page.status_code == HTTPStatus.OK
    form = page.context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if name in form.fields and value is not None and name not in ("logo_file", "logo_remove")
    }
    data["skip_authorization"] = "on" if client.skip_authorization else ""
    data = {k: v for k, v in data.items() if v != ""}
    return browser.post(url, {**data, **extra})


def test_an_admin_uploads_a_logo_and_it_is_stored_re_encoded(admin_browser):
    client = ClientFactory()
    page = admin_browser.get(f"/admin/sso/client/{client.pk}/change/")
    assert 'enctype="multipart/form-data"' in page.content.decode()
    assert 'accept="image/png,image/jpeg,image/gif,image/webp"' in page.content.decode()
    response = _change(admin_browser, client, logo_file=upload(image_bytes("JPEG", (512, 512))))
    assert response.status_code == HTTPStatus.FOUND, response.context["adminform"].form.errors
    client.refresh_from_db()
    logo = ClientLogo.objects.get(client=client)
    assert client.logo_digest == logo.digest and logo.content_type == "image/png"
    assert Image.open(io.BytesIO(bytes(logo.content))).size == (256, 256)
    page = admin_browser.get(f"/admin/sso/client/{client.pk}/change/").content.decode()
    assert f'src="{client.logo_url}"' in page and 'alt="' + client.logo_alt + '"' in page

    response = _change(admin_browser, client, logo_remove="on")
    assert response.status_code == HTTPStatus.FOUND
    client.refresh_from_db()
    assert client.logo_digest == "" and not ClientLogo.objects.filter(client=client).exists()


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (SVG, "logo.svg", "SVG images are not accepted"),
        (b"GIF89a but not really", "logo.gif", "not a PNG, JPEG, GIF or WebP image"),
        (_bomb(), "bomb.png", "5000 × 5000 pixels; a logo may have 16,777,216 pixels at most"),
        (_huge_bomb(), "bomb.png", "far more than 16,777,216 pixels"),
    ],
)
def test_a_bad_upload_is_a_form_error_and_changes_nothing(admin_browser, data, name, message):
    client = with_logo(ClientFactory())
    digest = client.logo_digest
    response = _change(admin_browser, client, name="Renamed", logo_file=upload(data, name=name))
    assert response.status_code == HTTPStatus.OK
    assert message in str(response.context["adminform"].form.errors["logo_file"])
    client.refresh_from_db()
    assert client.name != "Renamed" and client.logo_digest == digest
    assert ClientLogo.objects.get(client=client).digest == digest


def test_an_upload_over_the_size_limit_is_a_form_error(admin_browser, settings):
    settings.SSO_LOGO_MAX_UPLOAD_BYTES = 50_000
    client = ClientFactory()
    response = _change(admin_browser, client, logo_file=upload(b"\x89PNG" + b"\0" * 60_000))
    assert response.status_code == HTTPStatus.OK
    assert "a logo may be 50 kB at most" in str(response.context["adminform"].form.errors)
    assert not ClientLogo.objects.exists()


# --- Serving ----------------------------------------------------------------------------------
def test_the_logo_is_served_with_a_long_cache_an_etag_and_nosniff(client):
    app = with_logo(ClientFactory())
    response = client.get(app.logo_url)
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "image/png"
    assert response.content == bytes(ClientLogo.objects.get(client=app).content)
    assert response["ETag"] == f'"{app.logo_digest}"'
    assert "max-age=31536000" in response["Cache-Control"]
    assert "immutable" in response["Cache-Control"] and "public" in response["Cache-Control"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in response["Content-Security-Policy"]
    with CaptureQueriesContext(connection) as queries:
        again = client.get(app.logo_url, HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == HTTPStatus.NOT_MODIFIED and again.content == b""
    assert not [q for q in queries if "sso_clientlogo" in q["sql"]]  # the bytes are not read
    assert client.head(app.logo_url).status_code == HTTPStatus.OK
    assert client.post(app.logo_url).status_code == HTTPStatus.METHOD_NOT_ALLOWED


def test_a_new_logo_is_a_new_url_and_the_old_one_redirects(client):
    app = with_logo(ClientFactory())
    old = app.logo_url
    with_logo(app, image_bytes("PNG", (200, 200), mode="L"))
    assert app.logo_url != old
    response = client.get(old)
    assert response.status_code == HTTPStatus.FOUND and response["Location"] == app.logo_url
    assert "no-cache" in response["Cache-Control"]
    assert client.get(app.logo_url).status_code == HTTPStatus.OK


def test_no_logo_is_a_404(client):
    app = ClientFactory()
    assert app.logo_url == ""
    assert client.get(f"/o/clients/{app.pk}/logo/0123456789abcdef").status_code == 404
    assert client.get("/o/clients/999999/logo/0123456789abcdef").status_code == 404
    services.client_logo_remove(client=with_logo(app))
    assert client.get(f"/o/clients/{app.pk}/logo/0123456789abcdef").status_code == 404


# --- Where people see it ----------------------------------------------------------------------
def _img(app: Client) -> str:
    return f'<img class="app-logo" src="{app.logo_url}" alt="{app.logo_alt}"'


def test_the_sign_in_page_of_an_apps_authorize_step_shows_its_logo(client):
    app = with_logo(ClientFactory(name="销售易 CRM"))
    _verifier, challenge = pkce()
    login = client.get(authorize_query(app, challenge=challenge))["Location"]
    page = client.get(login, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert _img(app) in page and 'alt="销售易 CRM logo"' in page
    assert "Sign in to 销售易 CRM" in page
    client.cookies.load({"django_language": "zh-hans"})
    page = client.get(login).content.decode()
    assert 'alt="销售易 CRM 的标志"' in page
    plain = client.get("/accounts/login/").content.decode()
    assert "app-logo" not in plain


def test_an_app_without_a_logo_shows_its_name_only(client):
    app = ClientFactory(name="OA")
    _verifier, challenge = pkce()
    login = client.get(authorize_query(app, challenge=challenge))["Location"]
    page = client.get(login, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Sign in to OA" in page and "app-logo" not in page


def test_the_consent_page_shows_the_logo(client, user):
    app = with_logo(ClientFactory(name="Expense app", skip_authorization=False))
    client.force_login(user)
    _verifier, challenge = pkce()
    page = client.get(authorize_query(app, challenge=challenge), HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == HTTPStatus.OK
    assert _img(app) in page.content.decode() and 'alt="Expense app logo"' in page.content.decode()


def test_the_account_page_and_the_ticket_page_show_the_apps_logo(user):
    registered = register(name="销售易 CRM")
    app = with_logo(registered.client)
    browser = signed_in_browser(user)
    tokens_for(browser, registered)
    assert _img(app) in browser.get("/account/").content.decode()
    ticket = TicketFactory(user=user)
    agent = admin_client_for(make_agent("agent.wang"))
    page = agent.get(f"/admin/tickets/ticket/{ticket.pk}/change/", HTTP_ACCEPT_LANGUAGE="en")
    assert _img(app) in page.content.decode()
