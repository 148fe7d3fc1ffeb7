"""A small user-agent reader: enough to name a browser and its major version for people."""

from __future__ import annotations

import re

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
    ("Android", re.compile(r"Android")),
    ("iOS", re.compile(r"iPhone|iPad|iPod")),
    ("macOS", re.compile(r"Mac OS X|Macintosh")),
    ("Linux", re.compile(r"Linux|X11")),
]


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
