"""The provider through Django's test client: the code flow with PKCE, the claims, refresh
rotation and reuse, revocation, introspection, logout, and what is refused."""

from __future__ import annotations

import json
from http import HTTPStatus

import pytest
from jwcrypto import jwk, jwt

from audit.models import AuditEvent
from sso.models import Profile, Subject
from tests.sso.oidc import (
    LOGOUT_REDIRECT,
    REDIRECT,
    authorize_query,
    basic,
    code_from,
    exchange,
    pkce,
    register,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def rp(db):
    return register()


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


def _tokens(client, rp, **kwargs):
    verifier, challenge = pkce()
    code = code_from(client.get(authorize_query(rp, challenge=challenge, **kwargs)))
    response = exchange(client, rp, code, verifier)
    assert response.status_code == HTTPStatus.OK, response.content
    return response.json()


def _id_claims(client, id_token: str) -> tuple[dict, dict]:
    keys = jwk.JWKSet.from_json(client.get("/o/.well-known/jwks.json").content)
    token = jwt.JWT(jwt=id_token, key=keys, algs=["RS256"])
    return json.loads(token.header), json.loads(token.claims)


def test_discovery_states_only_what_is_offered(client, settings):
    data = client.get("/.well-known/openid-configuration").json()
    assert data["issuer"] == "https://portal.example.cn"
    assert data["authorization_endpoint"] == "https://portal.example.cn/o/authorize/"
    assert data["id_token_signing_alg_values_supported"] == ["RS256"]
    assert data["code_challenge_methods_supported"] == ["S256"]
    assert data["response_types_supported"] == ["code"]
    assert set(data["scopes_supported"]) >= {"openid", "profile", "email", "phone"}
    assert {"client_secret_basic", "client_secret_post"} <= set(
        data["token_endpoint_auth_methods_supported"]
    )
    for key in ("userinfo_endpoint", "jwks_uri", "end_session_endpoint", "revocation_endpoint"):
        assert data[key].startswith("https://portal.example.cn/o/")
    assert "introspection_endpoint" in data
    assert {"email_verified", "phone_number", "updated_at"} <= set(data["claims_supported"])


def test_the_code_flow_with_pkce_issues_an_rs256_id_token_with_the_claims(signed_in, rp, user):
    tokens = _tokens(signed_in, rp)
    assert tokens["expires_in"] == 600
    header, claims = _id_claims(signed_in, tokens["id_token"])
    assert header["alg"] == "RS256"
    assert claims["aud"] == rp.client_id
    assert claims["nonce"] == "n-1"
    assert claims["sub"] == str(Subject.objects.get(user=user).subject)
    assert claims["sub"] != str(user.pk)
    assert claims["email"] == user.email and claims["email_verified"] is True
    assert claims["phone_number"].startswith("+86") and claims["phone_number_verified"] is True
    assert claims["preferred_username"] == "zhang.wei"
    assert claims["locale"] == "zh-Hans" and claims["zoneinfo"] == "Asia/Shanghai"
    assert isinstance(claims["updated_at"], int)


def test_the_subject_is_stable_across_sign_ins(signed_in, rp):
    first = _id_claims(signed_in, _tokens(signed_in, rp)["id_token"])[1]["sub"]
    second = _id_claims(signed_in, _tokens(signed_in, rp)["id_token"])[1]["sub"]
    assert first == second


def test_the_subject_can_be_the_employee_number(signed_in, rp, user, settings):
    settings.SSO_SUBJECT = "employee_id"
    user.employee_id = "E1024"
    user.save()
    claims = _id_claims(signed_in, _tokens(signed_in, rp)["id_token"])[1]
    assert claims["sub"] == "E1024"


def test_without_an_employee_number_there_is_no_token(signed_in, rp, settings):
    settings.SSO_SUBJECT = "employee_id"
    verifier, challenge = pkce()
    code = code_from(signed_in.get(authorize_query(rp, challenge=challenge)))
    assert exchange(signed_in, rp, code, verifier).status_code == HTTPStatus.BAD_REQUEST


def test_userinfo_answers_get_and_post_with_a_bearer_header_only(signed_in, rp, user, client):
    access = _tokens(signed_in, rp)["access_token"]
    for method in (client.get, client.post):
        response = method("/o/userinfo/", HTTP_AUTHORIZATION=f"Bearer {access}")
        assert response.status_code == HTTPStatus.OK
        assert response.json()["email"] == user.email
    assert client.get("/o/userinfo/", {"access_token": access}).status_code == 400


def test_a_query_string_token_is_only_for_the_xiaoshouyi_profile(signed_in, client):
    crm = register(profile=Profile.XIAOSHOUYI)
    code = code_from(signed_in.get(authorize_query(crm, challenge=None)))
    access = exchange(signed_in, crm, code, None, post_secret=True).json()["access_token"]
    response = client.get("/o/userinfo/", {"access_token": access})
    assert response.status_code == HTTPStatus.OK
    assert response.json()["preferred_username"] == "zhang.wei"


def test_scopes_limit_the_claims(signed_in, rp):
    tokens = _tokens(signed_in, rp, scope="openid")
    claims = _id_claims(signed_in, tokens["id_token"])[1]
    assert "email" not in claims and "phone_number" not in claims and "name" not in claims


def test_client_secret_post_works_and_secrets_are_stored_hashed(signed_in, rp):
    verifier, challenge = pkce()
    code = code_from(signed_in.get(authorize_query(rp, challenge=challenge)))
    assert exchange(signed_in, rp, code, verifier, post_secret=True).status_code == 200
    rp.client.refresh_from_db()
    assert rp.secret not in rp.client.client_secret
    assert rp.client.client_secret.startswith("sso_pbkdf2_sha256$")  # sso.hashers


def test_a_code_works_once_and_its_replay_revokes_what_it_issued(signed_in, rp, client):
    verifier, challenge = pkce()
    code = code_from(signed_in.get(authorize_query(rp, challenge=challenge)))
    tokens = exchange(signed_in, rp, code, verifier).json()
    replay = exchange(signed_in, rp, code, verifier)
    assert replay.status_code == HTTPStatus.BAD_REQUEST
    assert replay.json()["error"] == "invalid_grant"
    userinfo = client.get("/o/userinfo/", HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
    assert userinfo.status_code == HTTPStatus.UNAUTHORIZED
    refreshed = client.post(
        "/o/token/",
        {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        HTTP_AUTHORIZATION=basic(rp),
    )
    assert refreshed.status_code == HTTPStatus.BAD_REQUEST
    reasons = list(
        AuditEvent.objects.filter(event="sso.token_revoked").values_list("data__reason", flat=True)
    )
    assert "code_replayed" in reasons


@pytest.mark.parametrize(
    "verifier",
    [None, "wrong-verifier-" + "x" * 40],
    ids=["missing verifier", "wrong verifier"],
)
def test_the_pkce_verifier_must_match(signed_in, rp, verifier):
    _right, challenge = pkce()
    code = code_from(signed_in.get(authorize_query(rp, challenge=challenge)))
    response = exchange(signed_in, rp, code, verifier)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"] in ("invalid_grant", "invalid_request")


def test_pkce_is_required_for_a_standard_client(signed_in, rp):
    response = signed_in.get(authorize_query(rp, challenge=None))
    assert response.status_code == 302
    assert "error=invalid_request" in response["Location"]
    assert "code=" not in response["Location"]


def test_the_plain_method_is_refused(signed_in, rp):
    url = authorize_query(rp, challenge="a" * 50, code_challenge_method="plain")
    response = signed_in.get(url)
    assert response.status_code in (302, 400)
    assert "code=" not in response.get("Location", "")


def test_the_xiaoshouyi_profile_needs_no_pkce(signed_in):
    crm = register(profile=Profile.XIAOSHOUYI)
    code = code_from(signed_in.get(authorize_query(crm, challenge=None)))
    assert exchange(signed_in, crm, code, None, post_secret=True).status_code == HTTPStatus.OK


def test_an_expired_code_is_refused(signed_in, rp, clock):
    verifier, challenge = pkce()
    code = code_from(signed_in.get(authorize_query(rp, challenge=challenge)))
    clock.advance(seconds=61)
    response = exchange(signed_in, rp, code, verifier)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"] == "invalid_grant"


def test_a_code_of_client_a_is_refused_at_client_b(signed_in, rp):
    other = register(name="Other app")
    verifier, challenge = pkce()
    code = code_from(signed_in.get(authorize_query(rp, challenge=challenge)))
    response = exchange(signed_in, other, code, verifier)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    # ...and A's own exchange still works: B's attempt revoked nothing of A's.
    assert exchange(signed_in, rp, code, verifier).status_code == HTTPStatus.OK


def test_tokens_of_client_a_are_refused_at_client_b(signed_in, rp, client):
    other = register(name="Other app")
    tokens = _tokens(signed_in, rp)
    response = client.post(
        "/o/token/",
        {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        HTTP_AUTHORIZATION=basic(other),
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    client.post(
        "/o/revoke_token/", {"token": tokens["access_token"]}, HTTP_AUTHORIZATION=basic(other)
    )
    userinfo = client.get("/o/userinfo/", HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
    assert userinfo.status_code == HTTPStatus.OK


def test_refresh_rotates_and_reuse_revokes_the_family(signed_in, rp, client):
    tokens = _tokens(signed_in, rp)

    def refresh(token):
        return client.post(
            "/o/token/",
            {"grant_type": "refresh_token", "refresh_token": token},
            HTTP_AUTHORIZATION=basic(rp),
        )

    second = refresh(tokens["refresh_token"])
    assert second.status_code == HTTPStatus.OK
    second = second.json()
    assert second["refresh_token"] != tokens["refresh_token"]
    assert refresh(tokens["refresh_token"]).status_code == HTTPStatus.BAD_REQUEST  # reuse
    assert refresh(second["refresh_token"]).status_code == HTTPStatus.BAD_REQUEST  # family gone
    userinfo = client.get("/o/userinfo/", HTTP_AUTHORIZATION=f"Bearer {second['access_token']}")
    assert userinfo.status_code == HTTPStatus.UNAUTHORIZED
    assert AuditEvent.objects.filter(
        event="sso.token_revoked", data__reason="refresh_token_reused"
    ).exists()


def test_a_disabled_account_gets_no_token_and_its_tokens_stop_working(signed_in, rp, user, client):
    tokens = _tokens(signed_in, rp)
    verifier, challenge = pkce()
    code = code_from(signed_in.get(authorize_query(rp, challenge=challenge)))
    user.is_active = False
    user.save()
    assert exchange(client, rp, code, verifier).status_code == HTTPStatus.BAD_REQUEST
    refreshed = client.post(
        "/o/token/",
        {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        HTTP_AUTHORIZATION=basic(rp),
    )
    assert refreshed.status_code == HTTPStatus.BAD_REQUEST
    userinfo = client.get("/o/userinfo/", HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
    assert userinfo.status_code == HTTPStatus.UNAUTHORIZED
    introspected = client.post(
        "/o/introspect/", {"token": tokens["access_token"]}, HTTP_AUTHORIZATION=basic(rp)
    )
    assert introspected.json() == {"active": False}


def test_revocation_and_introspection(signed_in, rp, client):
    tokens = _tokens(signed_in, rp)
    active = client.post(
        "/o/introspect/", {"token": tokens["access_token"]}, HTTP_AUTHORIZATION=basic(rp)
    ).json()
    assert active["active"] is True and active["client_id"] == rp.client_id
    by_get = client.get(
        "/o/introspect/", {"token": tokens["access_token"]}, HTTP_AUTHORIZATION=basic(rp)
    )
    assert by_get.status_code == 405
    revoked = client.post(
        "/o/revoke_token/", {"token": tokens["access_token"]}, HTTP_AUTHORIZATION=basic(rp)
    )
    assert revoked.status_code == HTTPStatus.OK
    inactive = client.post(
        "/o/introspect/", {"token": tokens["access_token"]}, HTTP_AUTHORIZATION=basic(rp)
    ).json()
    assert inactive == {"active": False}


def test_issued_refused_and_revoked_are_audited_without_secrets(signed_in, rp, client):
    tokens = _tokens(signed_in, rp)
    client.post(
        "/o/token/",
        {"grant_type": "authorization_code", "code": "nope"},
        HTTP_AUTHORIZATION=basic(rp),
    )
    client.post(
        "/o/revoke_token/", {"token": tokens["refresh_token"]}, HTTP_AUTHORIZATION=basic(rp)
    )
    events = {row.event: row for row in AuditEvent.objects.filter(event__startswith="sso.")}
    assert {"sso.token_issued", "sso.token_refused", "sso.token_revoked"} <= set(events)
    assert events["sso.token_refused"].data["reason"] == "invalid_grant"
    dumped = json.dumps([row.data for row in AuditEvent.objects.all()]) + "".join(
        row.subject for row in AuditEvent.objects.all()
    )
    for secret in (tokens["access_token"], tokens["refresh_token"], rp.secret, tokens["id_token"]):
        assert secret not in dumped


def test_a_wrong_redirect_uri_gets_an_error_page_and_no_redirect(signed_in, rp):
    _verifier, challenge = pkce()
    url = authorize_query(rp, challenge=challenge, redirect_uri="https://evil.example.com/cb")
    response = signed_in.get(url)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Location" not in response
    assert 'href="https://evil.example.com' not in response.content.decode()


def test_an_unknown_client_gets_an_error_page(signed_in, rp, client):
    _verifier, challenge = pkce()
    rp.client.client_id = "no-such-client"
    response = signed_in.get(authorize_query(rp, challenge=challenge))
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Location" not in response
    token = client.post(
        "/o/token/",
        {
            "grant_type": "authorization_code",
            "code": "x",
            "client_id": "no-such-client",
            "client_secret": "s",
        },
    )
    assert token.status_code == HTTPStatus.UNAUTHORIZED
    assert token.json()["error"] == "invalid_client"


def test_an_untrusted_client_shows_one_consent_page(signed_in, client):
    app = register(name="Expense app", trusted=False)
    verifier, challenge = pkce()
    url = authorize_query(app, challenge=challenge)
    page = signed_in.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == HTTPStatus.OK
    text = page.content.decode()
    assert "Sign in to Expense app" in text and "Your email address" in text
    assert "form-action 'self' https://crm.example.cn" in page["Content-Security-Policy"]
    form = page.context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None} | {"allow": "Authorize"}
    code = code_from(signed_in.post(url, data))
    assert exchange(signed_in, app, code, verifier).status_code == HTTPStatus.OK


def test_the_consent_page_is_translated(signed_in, client):
    app = register(name="Expense app", trusted=False)
    _verifier, challenge = pkce()
    signed_in.cookies.load({"django_language": "zh-hans"})
    page = signed_in.get(authorize_query(app, challenge=challenge))
    text = page.content.decode()
    assert "登录到 Expense app" in text and "您的电子邮件地址" in text


def test_an_authorize_request_without_a_session_goes_to_the_sign_in_page(client, rp):
    _verifier, challenge = pkce()
    url = authorize_query(rp, challenge=challenge)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/o/authorize/")
    page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en")
    assert "Sign in to 销售易 CRM" in page.content.decode()


def test_rp_initiated_logout_checks_the_registered_list(signed_in, rp, client):
    tokens = _tokens(signed_in, rp)
    bad = signed_in.get(
        "/o/logout/",
        {
            "id_token_hint": tokens["id_token"],
            "post_logout_redirect_uri": "https://evil.example.com/",
        },
    )
    assert bad.status_code == HTTPStatus.BAD_REQUEST and "Location" not in bad
    unknown = signed_in.get("/o/logout/", {"client_id": "no-such-client"})
    assert unknown.status_code == HTTPStatus.BAD_REQUEST
    good = signed_in.get(
        "/o/logout/",
        {
            "id_token_hint": tokens["id_token"],
            "post_logout_redirect_uri": LOGOUT_REDIRECT,
            "state": "bye",
        },
    )
    assert good.status_code == 302 and good["Location"] == LOGOUT_REDIRECT + "?state=bye"
    assert signed_in.get("/account/").status_code == 302  # the portal session ended too
    userinfo = client.get("/o/userinfo/", HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
    assert userinfo.status_code == HTTPStatus.UNAUTHORIZED


@pytest.mark.parametrize(
    ("path", "method"),
    [
        ("/o/authorize/", "get"),
        ("/o/token/", "post"),
        ("/o/revoke_token/", "post"),
        ("/o/introspect/", "post"),
        ("/o/userinfo/", "post"),
        ("/o/logout/", "get"),
    ],
)
@pytest.mark.parametrize("value", ["x" * 10_240, "a\x00b"], ids=["10 kB", "NUL byte"])
def test_huge_or_nul_parameters_are_a_4xx_never_a_500(signed_in, rp, path, method, value):
    params = {
        "client_id": rp.client_id,
        "state": value,
        "code": value,
        "token": value,
        "grant_type": "authorization_code",
        "redirect_uri": REDIRECT,
    }
    response = getattr(signed_in, method)(path, params, HTTP_AUTHORIZATION=basic(rp))
    assert 400 <= response.status_code < 500, (path, response.status_code)


def test_an_unsupported_grant_is_refused(client, rp):
    for grant in ("password", "client_credentials", "urn:ietf:params:oauth:grant-type:device_code"):
        response = client.post("/o/token/", {"grant_type": grant}, HTTP_AUTHORIZATION=basic(rp))
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert response.json()["error"] == "unsupported_grant_type"


def test_no_id_token_is_ever_unsigned(signed_in, rp):
    rp.client.algorithm = ""
    rp.client.save()
    tokens = _tokens(signed_in, rp)
    header, _claims = _id_claims(signed_in, tokens["id_token"])
    assert header["alg"] == "RS256"


def test_the_client_endpoints_take_no_csrf_token(signed_in, rp):
    from django.test import Client as DjangoClient

    strict = DjangoClient(enforce_csrf_checks=True)
    verifier, challenge = pkce()
    code = code_from(signed_in.get(authorize_query(rp, challenge=challenge)))
    tokens = exchange(strict, rp, code, verifier)
    assert tokens.status_code == HTTPStatus.OK
    access = tokens.json()["access_token"]
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {access}"}
    assert strict.post("/o/userinfo/", **bearer).status_code == HTTPStatus.OK
    auth = {"HTTP_AUTHORIZATION": basic(rp)}
    assert strict.post("/o/introspect/", {"token": access}, **auth).status_code == HTTPStatus.OK
    assert strict.post("/o/revoke_token/", {"token": access}, **auth).status_code == HTTPStatus.OK


def test_admins_register_clients_and_bad_uris_are_refused(client, superuser):
    from tests.factories import otp_force_login

    otp_force_login(client, superuser)
    assert client.get("/admin/sso/client/add/").status_code == HTTPStatus.OK
    form = {
        "name": "销售易 CRM",
        "profile": Profile.XIAOSHOUYI,
        "skip_authorization": "on",
        "client_type": "confidential",
        "redirect_uris": "http://crm.example.cn/cb https://crm.example.cn/cb#frag",
        "post_logout_redirect_uris": "javascript:alert(1)",
        "client_id": "crm-client",
        "client_secret": "s3cret-" + "x" * 30,
    }
    refused = client.post("/admin/sso/client/add/", form)
    assert refused.status_code == HTTPStatus.OK
    errors = refused.context["adminform"].form.errors
    assert {"redirect_uris", "post_logout_redirect_uris"} <= set(errors)
    form |= {"redirect_uris": REDIRECT, "post_logout_redirect_uris": LOGOUT_REDIRECT}
    assert client.post("/admin/sso/client/add/", form).status_code == HTTPStatus.FOUND
    from sso.models import Client

    saved = Client.objects.get(client_id="crm-client")
    assert saved.algorithm == "RS256" and not saved.pkce_required
    assert saved.client_secret != form["client_secret"]
    change = client.get(f"/admin/sso/client/{saved.pk}/change/").content.decode()
    assert saved.client_secret not in change
