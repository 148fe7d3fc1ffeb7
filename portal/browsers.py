"""A small user-agent reader: enough to name a browser and its major version for people.

``parse`` and ``describe`` answer in fixed English names (the troubleshooter's supported list and
messages' stored details use them); ``summary`` is the same reading in the reader's language, for
agents' pages ("Chrome 156 on Windows", "Windows 上的 Chrome 156"), and names scripts as such.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

_BROWSERS = [
    ("Edge", re.compile(r"Edg(?:e|A|iOS)?/(\d+)")),
    ("Opera", re.compile(r"OPR/(\d+)")),
    ("WeChat", re.compile(r"MicroMessenger/(\d+)")),
    ("QQ Browser", re.compile(r"QQBrowser/(\d+)")),
    ("360 Browser", re.compile(r"QihooBrowser/(\d+)")),
    ("Firefox", re.compile(r"(?:Firefox|FxiOS)/(\d+)")),
    ("Chrome", re.compile(r"(?:Chrome|CriOS)/(\d+)")),
    ("Safari", re.compile(r"Version/(\d+)[\d.]* (?:Mobile/\S+ )?Safari/")),
]
_SYSTEMS = [
    ("Windows", re.compile(r"Windows NT")),
    ("HarmonyOS", re.compile(r"HarmonyOS|OpenHarmony")),
    ("Android", re.compile(r"Android")),
    ("iOS", re.compile(r"iPhone|iPad|iPod")),
    ("macOS", re.compile(r"Mac OS X|Macintosh")),
    ("ChromeOS", re.compile(r"CrOS")),
    ("Linux", re.compile(r"Linux|X11")),
]
# Programs that are not browsers: a sign-in from one is a script, which agents should know.
_SCRIPTS = re.compile(
    r"^(curl|Wget|python-requests|python-httpx|Python-urllib|aiohttp|Go-http-client|okhttp|"
    r"Java|Apache-HttpClient|PostmanRuntime|axios|node-fetch|libwww-perl|PowerShell)\b",
    re.IGNORECASE,
)


def parse(ua: str) -> tuple[str, int | None, str]:
    """Return (browser name, major version or None, operating system)."""
    name, version = "", None
    for label, pattern in _BROWSERS:
        match = pattern.search(ua or "")
        if match:
            name, version = label, int(match.group(1))
            break
    system = next((label for label, pattern in _SYSTEMS if pattern.search(ua or "")), "")
    return name, version, system


def describe(ua: str) -> str:
    name, version, system = parse(ua)
    if not name and not system:
        return "unknown browser" if ua else "no user agent"
    head = f"{name} {version}" if name and version is not None else (name or "browser")
    return f"{head} on {system}" if system else head


def summary(ua: str) -> str:
    """The browser and system in words of the active language, for agents."""
    ua = ua or ""
    if not ua.strip():
        return _("no browser named")
    script = _SCRIPTS.match(ua.strip())
    if script:
        return _("a script (%(program)s)") % {"program": script.group(1)}
    name, version, system = parse(ua)
    if not name and not system:
        return _("an unrecognised browser")
    head = f"{name} {version}" if name and version is not None else (name or _("a browser"))
    if not system:
        return head
    return _("%(browser)s on %(system)s") % {"browser": head, "system": system}
