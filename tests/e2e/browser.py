"""Helpers of the Chromium journeys: a phone, screenshots, the SMS a person reads, the keyboard,
and the check that a page is wholly in its language (against the .po catalogs)."""

from __future__ import annotations

import json
import os
import re
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# A 390×844 phone (an iPhone 12 to 15's CSS size) with touch, as the employees often are.
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "has_touch": True,
    "is_mobile": True,
}
CODE = re.compile(r"(?<!\d)(\d{6})(?!\d)")
TASK_LINE = re.compile(rb"Task [\w.]+\[([0-9a-f-]+)\] (received|succeeded|raised|failed|retry)")


class Screenshots:
    """PNGs of key pages, named ``<name>.<language>.<desktop|phone>.png``, in
    ``PORTAL_SCREENSHOTS_DIR`` (default var/screenshots/, which git ignores and CI keeps)."""

    def __init__(self, folder: str | os.PathLike | None = None) -> None:
        self.folder = Path(
            folder or os.environ.get("PORTAL_SCREENSHOTS_DIR") or ROOT / "var/screenshots"
        )
        self.folder.mkdir(parents=True, exist_ok=True)

    def take(self, page, name: str) -> Path:
        language = page.locator("html").get_attribute("lang") or "unknown"
        device = "phone" if (page.viewport_size or {}).get("width", 1280) < 600 else "desktop"
        path = self.folder / f"{name}.{language}.{device}.png"
        page.screenshot(path=str(path), full_page=True, animations="disabled", caret="hide")
        return path


class Tasks:
    """The SMS the journey's background work sent (the ``file`` backend's lines), read as the
    person reads the phone: each message once, waiting for the worker in real time."""

    def __init__(self, *, sms_file: Path, worker) -> None:
        self.sms_file = sms_file
        self.worker = worker
        self._read: set[str] = set()

    def sms(self) -> list[dict]:
        text = self.sms_file.read_text(encoding="utf-8") if self.sms_file.exists() else ""
        return [json.loads(line) for line in text.splitlines() if line.strip()]

    def next_sms(self, *, to: str, kind: str = "", timeout: float = 20) -> dict:
        from tests.messaging.worker import wait_for

        def unread():
            for message in self.sms():
                wanted = message["to"] == to and message["kind"] == (kind or message["kind"])
                if wanted and message["reference"] not in self._read:
                    return message
            return None

        message = wait_for(unread, timeout=timeout, what=f"a {kind} SMS to {to}: {self.sms()}")
        self._read.add(message["reference"])
        return message

    def code(self, *, to: str, kind: str = "") -> str:
        return CODE.search(self.next_sms(to=to, kind=kind)["body"]).group(1)

    def settle(self, timeout: float = 20) -> None:
        """Wait until the worker has finished every task the test queued (a late one would
        write into the next test's tables)."""
        if self.worker is None:
            return
        import redis

        from tests.messaging.worker import wait_for

        queue = redis.Redis.from_url(self.worker.broker_url)

        def idle() -> bool:
            last: dict[bytes, bytes] = {}
            for task, state in TASK_LINE.findall(self.worker.log.read_bytes()):
                last[task] = state
            return queue.llen(self.worker.queue) == 0 and b"received" not in last.values()

        wait_for(idle, timeout=timeout, what=f"the worker to finish:\n{self.worker.log_tail()}")


# --- The keyboard ----------------------------------------------------------------------------
def tab_to(page, selector: str, *, limit: int = 80) -> None:
    """Press Tab until the focus is on ``selector`` (as a keyboard user reaches a control)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(
            "s => !!document.activeElement && document.activeElement.matches(s)", selector
        ):
            return
    raise AssertionError(f"{limit} presses of Tab never reached {selector} on {page.url}")


def type_into(page, selector: str, text: str) -> None:
    tab_to(page, selector)
    page.keyboard.type(text)


# --- Languages -------------------------------------------------------------------------------
LATIN_RUN = re.compile(r"[A-Za-z][A-Za-z'’]*(?:[ \t]+[A-Za-z][A-Za-z'’]*)+")
HAN_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
ADDRESSES = re.compile(r"\S+@\S+|https?://\S+")
SWITCH_BUTTONS = {"en": "简体中文", "zh-hans": "English"}


@cache
def catalog() -> dict[str, str]:
    """Every msgid of the project's zh_Hans .po catalogs and its msgstr ("" when missing)."""
    entries: dict[str, str] = {}
    for po in sorted(ROOT.glob("*/locale/zh_Hans/LC_MESSAGES/django*.po")):
        field, parts, current = None, {}, {}
        for line in [*po.read_text(encoding="utf-8").splitlines(), ""]:
            match = re.match(r'(msgid|msgstr(?:\[\d\])?|msgid_plural) "(.*)"$', line)
            if match:
                field = match.group(1)
                current[field] = json.loads(f'"{match.group(2)}"')
            elif line.startswith('"') and field:
                current[field] += json.loads(line)
            elif not line.strip():
                if current.get("msgid"):
                    parts[current["msgid"]] = current.get("msgstr", current.get("msgstr[0]", ""))
                field, current = None, {}
        entries |= parts
    return entries


def _why(run: str) -> str:
    found = [(msgid, msgstr) for msgid, msgstr in catalog().items() if run in msgid]
    if not found:
        return f"{run!r}: in no catalog (a string not marked for translation?)"
    msgid, msgstr = found[0]
    state = f"translated as {msgstr[:40]!r}" if msgstr else "UNTRANSLATED in the catalog"
    return f"{run!r}: from msgid {msgid[:60]!r}, {state}"


def screen_text(page) -> str:
    return page.title() + "\n" + page.locator("body").inner_text()


def untranslated(page, *, allowed: tuple[str, ...] = ()) -> list[str]:
    """What on screen is not in the page's language: in Chinese, runs of two or more English
    words; in English, any Chinese. Names (``allowed``), addresses and the language switch's
    own label are not counted."""
    language = page.locator("html").get_attribute("lang")
    text = ADDRESSES.sub(" ", screen_text(page))
    for name in (*allowed, SWITCH_BUTTONS.get(language, "")):
        if name:
            text = text.replace(name, " ")
    if language == "zh-hans":
        return [_why(run) for run in LATIN_RUN.findall(text)]
    if language == "en":
        return [f"{run!r}: Chinese on the English page" for run in HAN_RUN.findall(text)]
    return [f"unexpected page language {language!r}"]


def switch_language(page, *, tap: bool = False) -> str:
    """Press the header's language button (the other language); returns the new language."""
    language = page.locator("html").get_attribute("lang")
    button = page.locator(".lang-switch button[name=language]")
    with page.expect_navigation():
        button.tap() if tap else button.click()
    new = page.locator("html").get_attribute("lang")
    assert new != language, f"the language did not change from {language} on {page.url}"
    return new


# --- The admin ------------------------------------------------------------------------------
def admin_sign_in(page, user, *, password: str) -> None:
    """Sign ``user`` in at /admin/login/ with the password and the code of an authenticator
    (made for the user if it has none), as an agent does every morning."""
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    token = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token()
    page.goto("/admin/login/?next=/admin/")
    page.fill("input[name=username]", user.get_username())
    page.fill("input[name=password]", password)
    page.fill("input[name=otp_token]", f"{token:0{device.digits}d}")
    with page.expect_navigation():
        page.locator("#login-form [type=submit]").click()
    assert re.search(r"/admin/$", page.url), f"not signed in to the admin: {page.url}"
