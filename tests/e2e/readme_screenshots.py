"""Refresh the README's screenshots (docs/screenshots/) from the PNGs a run of the browser
journeys wrote (var/screenshots/, or PORTAL_SCREENSHOTS_DIR):

    .venv/bin/python -m pytest tests/e2e/test_journey.py tests/e2e/test_unlock_journey.py
    .venv/bin/python tests/e2e/readme_screenshots.py

Each chosen page is cut to a readable height and stored as a small palette PNG (Pillow), so the
README's four images stay a few hundred kB together. Chinese text needs Debian's fonts-noto-cjk
where the run took them (.ci/run installs it)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
TARGET = ROOT / "docs" / "screenshots"
# README name -> the run's screenshot (tests/e2e/browser.py Screenshots names them).
CHOSEN = {
    "login.png": "login.zh-hans.phone.png",
    "lock.png": "locked-again.zh-hans.phone.png",
    "reset-code.png": "reset-code.zh-hans.phone.png",
    "agent-ticket.png": "agent-ticket.zh-hans.desktop.png",
}
MAX_HEIGHT = {"phone": 2200, "desktop": 1300}  # device pixels (the phone is 2x)
COLOURS = 64


def optimise(source: Path, target: Path) -> int:
    """Crop to the kind's height, reduce to a palette, write; returns the bytes written."""
    image = Image.open(source).convert("RGB")
    kind = "phone" if "phone" in source.name else "desktop"
    if image.height > MAX_HEIGHT[kind]:
        image = image.crop((0, 0, image.width, MAX_HEIGHT[kind]))
    small = image.quantize(
        colors=COLOURS, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
    )
    small.save(target, optimize=True)
    return target.stat().st_size


def main() -> int:
    source = Path(os.environ.get("PORTAL_SCREENSHOTS_DIR") or ROOT / "var" / "screenshots")
    missing = [name for name in CHOSEN.values() if not (source / name).exists()]
    if missing:
        print(f"not in {source}: {', '.join(missing)}; run the journeys first:", file=sys.stderr)
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 1
    TARGET.mkdir(parents=True, exist_ok=True)
    total = 0
    for name, shot in CHOSEN.items():
        size = optimise(source / shot, TARGET / name)
        total += size
        print(f"docs/screenshots/{name}  {size / 1024:6.1f} kB  (from {shot})")
    print(f"total {total / 1024:.1f} kB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
