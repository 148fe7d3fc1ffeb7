"""The account's page in the admin ends with its latest audit rows as sentences (the same
``audit.sentences`` as the ticket page), in the admin's language, at a constant cost."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.services import audit_record
from tests.factories import SuperuserFactory, UserFactory
from tests.tickets.conftest import admin_client_for

pytestmark = pytest.mark.django_db
UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/156.0 Safari/537.36"


def _failures(user, n: int) -> None:
    for i in range(n):
        audit_record(
            event="signin.failed",
            user=user,
            ip="10.2.3.4",
            ua=UA,
            data={"door": "site", "reason": "bad_password", "failure": i + 1, "known_browser": 0},
        )


def test_the_account_page_tells_its_latest_events():
    admin_user, employee = SuperuserFactory(username="root.admin"), UserFactory(username="li.na")
    client = admin_client_for(admin_user)
    url = f"/admin/accounts/user/{employee.pk}/change/"
    _failures(employee, 2)
    client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    with CaptureQueriesContext(connection) as few:
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == HTTPStatus.OK
    page = response.content.decode()
    assert (
        "2nd wrong password at the site sign-in, from 10.2.3.4, Chrome 156 on Windows, "
        "an unknown browser"
    ) in page
    assert "bad_password" not in page
    _failures(employee, 60)
    with CaptureQueriesContext(connection) as many:
        client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert len(many) == len(few)
    chinese = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert (
        "在网站登录页第 60 次输错密码，来自 10.2.3.4，Windows 上的 Chrome 156，未知浏览器"
        in chinese
    )
    assert chinese.count("输错密码") == 30  # the latest 30 rows
