"""A client's logo, for the sign-in, consent and account pages (``sso.logos`` made it).

Its URL names the first 16 hex digits of the image's SHA-256, so the response is cached for a
year (``immutable``) and a new logo is a new URL; an old URL redirects to the current one. The
ETag is the whole digest, so a revalidation is a 304 without the image being read. The bytes
are a PNG or WebP the portal encoded itself, sent with ``nosniff`` and the site's CSP.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.views.decorators.http import condition, require_safe

from sso import selectors

YEAR = 365 * 24 * 3600


def _etag(request: HttpRequest, client_pk: int, version: str) -> str | None:
    return selectors.client_logo_digest(client_pk=client_pk)


@require_safe
@condition(etag_func=_etag)
def client_logo(request: HttpRequest, client_pk: int, version: str) -> HttpResponse:
    logo = selectors.client_logo(client_pk=client_pk)
    if logo is None:
        raise Http404
    if logo.digest[:16] != version:  # a page cached with an earlier logo
        response = HttpResponseRedirect(
            reverse("oauth2_provider:client-logo", args=[client_pk, logo.digest[:16]])
        )
        add_never_cache_headers(response)
        return response
    response = HttpResponse(bytes(logo.content), content_type=logo.content_type)
    patch_cache_control(response, public=True, max_age=YEAR, immutable=True)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "inline"
    return response
