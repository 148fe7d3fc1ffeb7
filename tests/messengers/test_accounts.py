"""Messenger ids on /account/messengers/ (a code through that messenger), the CSV import, and
the reset by WeCom, DingTalk or Feishu with the reset's no-enumeration rules."""

from __future__ import annotations

import re
from http import HTTPStatus

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import translation

from accounts.messenger_ids import messenger_ids_import, verified_messenger_ids
from accounts.models import MessengerId
from audit.models import AuditEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
CODE = re.compile(r"(?<!\d)(\d{6})(?!\d)")
PAGE, VERIFY = "/account/messengers/", "/account/messengers/verify/"
RESET, RESET_VERIFY = "/accounts/password/reset/", "/accounts/password/reset/verify/"


def _code(api, to: str) -> str:
    texts = api.texts_to(to)
    assert texts, "nothing reached the messenger"
    return CODE.search(texts[-1]).group(1)


@pytest.fixture
def person(db):
    return UserFactory(username="zhang.wei", language="en")


@pytest.fixture
def signed_in(client, person, django_capture_on_commit_callbacks):
    client.force_login(person)

    def post(url, data):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url, data)

    client.post_now = post
    return client


def test_an_id_is_linked_once_its_code_comes_back_through_the_messenger(
    messenger, signed_in, person
):
    channel, api = messenger
    reply = signed_in.post_now(PAGE, {"provider": channel, "value": "zhang.wei"})
    assert reply.status_code == HTTPStatus.FOUND and reply["Location"] == VERIFY
    assert "zh***i" in signed_in.get(VERIFY).content.decode()
    assert verified_messenger_ids(user=person) == {}
    reply = signed_in.post_now(VERIFY, {"code": _code(api, "zhang.wei")})
    assert reply.status_code == HTTPStatus.FOUND
    assert verified_messenger_ids(user=person) == {channel: "zhang.wei"}
    event = AuditEvent.objects.get(event="messenger.verified")
    assert event.data == {"messenger": channel, "source": "self", "replaced": False}


def test_wrong_codes_are_capped_at_five(wecom_api, signed_in, person):
    signed_in.post_now(PAGE, {"provider": "wecom", "value": "zhang.wei"})
    right = _code(wecom_api, "zhang.wei")
    wrong = "000000" if right != "000000" else "111111"
    for _ in range(4):
        assert signed_in.post_now(VERIFY, {"code": wrong}).status_code == HTTPStatus.BAD_REQUEST
    reply = signed_in.post_now(VERIFY, {"code": wrong})
    assert reply.status_code == HTTPStatus.FOUND  # too many: start again
    assert signed_in.post_now(VERIFY, {"code": right}).status_code == HTTPStatus.FOUND
    assert not MessengerId.objects.exists()


def test_a_code_works_once(wecom_api, signed_in, person):
    signed_in.post_now(PAGE, {"provider": "wecom", "value": "zhang.wei"})
    code = _code(wecom_api, "zhang.wei")
    signed_in.post_now(VERIFY, {"code": code})
    MessengerId.objects.all().delete()
    signed_in.post_now(PAGE, {"provider": "wecom", "value": "zhang.wei"})
    fresh = _code(wecom_api, "zhang.wei")
    if fresh != code:
        assert signed_in.post_now(VERIFY, {"code": code}).status_code == HTTPStatus.BAD_REQUEST


def test_an_id_linked_to_someone_else_is_refused(wecom_api, signed_in, person):
    other = UserFactory(username="li.na")
    messenger_ids_import(text="li.na,wecom,zhang.wei")
    signed_in.post_now(PAGE, {"provider": "wecom", "value": "zhang.wei"})
    signed_in.post_now(VERIFY, {"code": _code(wecom_api, "zhang.wei")})
    assert verified_messenger_ids(user=person) == {}
    assert verified_messenger_ids(user=other) == {"wecom": "zhang.wei"}
    assert AuditEvent.objects.filter(event="messenger.refused").exists()


def test_an_unconfigured_messenger_is_not_offered(settings, signed_in):
    settings.MESSENGER_WECOM_CORP_ID = ""
    page = signed_in.get(PAGE, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "No messenger is set up" in page
    assert signed_in.post_now(PAGE, {"provider": "wecom", "value": "x"}).status_code == 400


def test_the_csv_import_links_good_lines_and_reports_bad_ones(wecom_api, feishu_api, capsys):
    UserFactory(username="zhang.wei")
    UserFactory(username="li.na")
    text = (
        "username,messenger,id\n"
        "zhang.wei,wecom,ZhangWei\n"
        "li.na,feishu,ou_li\n"
        "nobody,wecom,x\n"
        "li.na,qq,123\n"
        "li.na,wecom,bad id\n"
        "li.na,wecom,ZhangWei\n"
        "zhang.wei,wecom,ZhangWei\n"
    )
    with translation.override("en"):
        report = messenger_ids_import(text=text)
    assert (report.linked, report.unchanged, len(report.problems)) == (2, 1, 4)
    assert [p.split(":")[0] for p in report.problems] == ["line 4", "line 5", "line 6", "line 7"]
    assert AuditEvent.objects.filter(event="messenger.verified", data__source="import").count() == 2


def test_the_import_command_reads_a_file(tmp_path, capsys):
    UserFactory(username="zhang.wei")
    path = tmp_path / "ids.csv"
    path.write_text("zhang.wei,dingtalk,manager4711\n", encoding="utf-8")
    call_command("import_messenger_ids", str(path))
    assert "linked 1, unchanged 0, refused 0" in capsys.readouterr().out


# --- the reset by messenger ---------------------------------------------------------------------
@pytest.fixture
def reset_client(client, django_capture_on_commit_callbacks):
    def post(url, data):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url, data, HTTP_ACCEPT_LANGUAGE="en")

    client.post_now = post
    return client


def test_the_reset_page_offers_each_configured_messenger(wecom_api, dingtalk_api, reset_client):
    page = reset_client.get(RESET, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "企业微信" in page and "钉钉" in page and "飞书" not in page


def test_a_reset_by_wecom_sends_the_code_there_and_it_works(wecom_api, reset_client):
    person = UserFactory(username="zhang.wei", language="en")
    messenger_ids_import(text="zhang.wei,wecom,zhang.wei")
    reply = reset_client.post_now(RESET, {"identifier": "zhang.wei", "channel": "wecom"})
    assert reply.status_code == HTTPStatus.FOUND
    page = reset_client.get(RESET_VERIFY, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "verified WeCom" in page
    reply = reset_client.post_now(
        RESET_VERIFY, {"code": _code(wecom_api, "zhang.wei"), "action": "verify"}
    )
    assert reply.status_code == HTTPStatus.FOUND and "/new/" in reply["Location"]
    assert mail.outbox == []  # the code went by WeCom only
    assert AuditEvent.objects.filter(event="code.sent", user=person, data__channel="wecom").exists()


def test_the_reset_by_messenger_says_the_same_for_every_account(wecom_api, reset_client, client):
    """An account with a WeCom id, one without (its email gets the code), an unknown name: the
    same status, page and words."""
    UserFactory(username="zhang.wei")
    UserFactory(username="li.na")
    messenger_ids_import(text="zhang.wei,wecom,zhang.wei")
    pages = []
    for name in ["zhang.wei", "li.na", "nobody.at.all"]:
        client.cookies.clear()
        reply = reset_client.post_now(RESET, {"identifier": name, "channel": "wecom"})
        assert reply.status_code == HTTPStatus.FOUND
        page = reset_client.get(RESET_VERIFY).content.decode()
        page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page)
        page = re.sub(r'nonce="[^"]+"', "", page)
        pages.append(page)
    assert pages[0] == pages[1] == pages[2]
    assert len(wecom_api.texts_to("zhang.wei")) == 1
    assert [m.to for m in mail.outbox] == [["li.na@corp.example.cn"]]  # the fallback to email


def test_security_notices_reach_a_verified_messenger_id_too(
    wecom_api, client, django_capture_on_commit_callbacks
):
    """A lock notice goes to every verified contact, the WeCom id included."""
    UserFactory(username="zhang.wei", language="en")
    messenger_ids_import(text="zhang.wei,wecom,zhang.wei")
    for attempt in range(5):
        with django_capture_on_commit_callbacks(execute=True):
            client.post("/accounts/login/", {"username": "zhang.wei", "password": f"no {attempt}"})
    [text] = wecom_api.texts_to("zhang.wei")
    assert "lock" in text.lower()
    assert mail.outbox  # and the email still goes
