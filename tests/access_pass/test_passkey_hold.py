"""After a sign-in with a pass, registering a passkey (django-otp-webauthn's credential) ends the
hold, as a new password does."""

from __future__ import annotations

from django.test import Client

from access_pass.door import ENROL
from access_pass.models import AccessPass
from tests.access_pass.test_signin import issue, sign_in
from tickets.models import Resolution


def test_a_passkey_registered_meanwhile_ends_the_hold(
    verified_ticket, agent, employee, django_capture_on_commit_callbacks
):
    from django_otp_webauthn.models import WebAuthnCredential

    browser = Client(REMOTE_ADDR="10.9.9.9")
    sign_in(browser, issue(verified_ticket, agent), next="/account/")
    assert browser.get("/account/")["Location"] == "/accounts/pass/enrol/"
    WebAuthnCredential.objects.create(
        user=employee,
        name="phone",
        confirmed=True,
        credential_id=b"x" * 16,
        public_key=b"k",
        aaguid="00000000-0000-0000-0000-000000000000",
        sign_count=0,
        transports=[],
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = browser.get("/account/contacts/")
    assert response["Location"] == "/account/"
    assert ENROL not in browser.session
    assert AccessPass.objects.get().completed_how == "passkey"
    verified_ticket.refresh_from_db()
    assert verified_ticket.resolution == Resolution.ACCESS_PASS
