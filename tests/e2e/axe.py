"""axe-core in Chromium: the vendored engine (tests/e2e/assets, version pinned there) injected
into a page, run at a desktop and a phone size, its results written per page to ``var/axe/``
(ignored by git, kept by CI) and its serious and critical violations returned.

Injected through Playwright's evaluate (the DevTools protocol), which the pages'
Content-Security-Policy does not govern, so the pages are checked with their real policy."""

from __future__ import annotations

import json
import re
from pathlib import Path

from django.conf import settings

ASSETS = Path(__file__).parent / "assets"
AXE_SOURCE = (ASSETS / "axe.min.js").read_text(encoding="utf-8")
AXE_VERSION = re.search(r"axe v(\d+\.\d+\.\d+)", AXE_SOURCE[:200]).group(1)
RESULTS = Path(settings.BASE_DIR) / "var" / "axe"
SIZES = {"desktop": (1280, 900), "phone": (390, 844)}
BLOCKING = {"serious", "critical"}
# WCAG 2.1 A and AA plus axe's best practices (region, landmarks, heading order, ...).
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def axe_run(page, *, name: str) -> list[dict]:
    """axe on the page as it is now; the results go to var/axe/<name>.json. Returns the
    serious and critical violations, each as {id, impact, help, targets}."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SOURCE)
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags},"
        " resultTypes: ['violations']})",
        TAGS,
    )
    RESULTS.mkdir(parents=True, exist_ok=True)
    record = {
        "page": name,
        "url": page.url,
        "axe": AXE_VERSION,
        "viewport": page.viewport_size,
        "violations": result["violations"],
        "passes": len(result.get("passes", [])),
    }
    (RESULTS / f"{_slug(name)}.json").write_text(
        json.dumps(record, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "targets": [node["target"] for node in v["nodes"]][:5],
        }
        for v in result["violations"]
        if v["impact"] in BLOCKING
    ]


def axe_sizes(page, *, name: str) -> dict[str, list[dict]]:
    """axe at each size (desktop, then phone), without reloading; the viewport is left at the
    desktop size again. Keys are "<name> @<size>" for every size with a blocking violation."""
    found: dict[str, list[dict]] = {}
    for size, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        violations = axe_run(page, name=f"{name} {size}")
        if violations:
            found[f"{name} @{size}"] = violations
    width, height = SIZES["desktop"]
    page.set_viewport_size({"width": width, "height": height})
    return found
