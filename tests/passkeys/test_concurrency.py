"""Copies of one passkey answering at once on PostgreSQL: every answer is signed and carries the
same new counter, so only one may move the stored counter; the others are a clone."""

from __future__ import annotations

import pytest
from django_otp_webauthn.models import WebAuthnCredential

from audit.models import AuditEvent
from tests.concurrency import at_once
from tests.factories import UserFactory
from tests.passkeys.authenticator import SoftAuthenticator
from tests.passkeys.test_passkeys import SIGNIN_BEGIN, SIGNIN_COMPLETE, browser, post_json

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_clones_signing_in_at_once_get_in_once():
    user = UserFactory()
    original = SoftAuthenticator()
    client = browser()
    client.force_login(user)
    options = post_json(client, "/account/passkeys/add/begin/").json()
    done = post_json(
        client, "/account/passkeys/add/complete/", {"credential": original.create(options)}
    )
    assert done.status_code == 200

    def job(i, start):
        clone = SoftAuthenticator()
        clone.key, clone.credential_id, clone.user_handle = (
            original.key,
            original.credential_id,
            original.user_handle,
        )
        clone.sign_count = 4  # every copy's next answer says 5
        browser_i = browser()
        ceremony = post_json(browser_i, SIGNIN_BEGIN).json()
        answer = clone.get(ceremony)
        start()
        return post_json(browser_i, SIGNIN_COMPLETE, answer).status_code

    codes = at_once(5, job)
    assert sorted(codes) == [200] + [403] * 4
    assert WebAuthnCredential.objects.get(user=user).sign_count == 5
    assert AuditEvent.objects.filter(event="passkeys.clone_suspected").count() == 4
    assert AuditEvent.objects.filter(event="signin.succeeded", user=user).count() == 1
