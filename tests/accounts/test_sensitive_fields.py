"""Codes typed on the security pages never reach an error report (Django's exception reporter
masks the POST fields a view marks sensitive)."""

from __future__ import annotations

import pytest
from django.views.debug import SafeExceptionReporterFilter

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/account/contacts/verify/", "code"),
        ("/account/two-step/set-up/", "code"),
        ("/account/two-step/backup-codes/new/", "code"),
        ("/account/two-step/verify/", "otp_token"),
    ],
)
def test_codes_are_masked_in_error_reports(client, user, path, field):
    client.force_login(user)
    response = client.post(path, {field: "123456"})
    shown = SafeExceptionReporterFilter().get_post_parameters(response.wsgi_request)
    assert "123456" not in shown.values()
