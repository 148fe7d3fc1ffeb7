"""Every page in Simplified Chinese: no catalog may hold an untranslated or fuzzy entry, and the
committed .mo files must match their .po files."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CATALOGS = sorted(
    p for p in ROOT.glob("*/locale/zh_Hans/LC_MESSAGES/django.po") if ".venv" not in p.parts
) + sorted(ROOT.glob("locale/zh_Hans/LC_MESSAGES/django.po"))


def _entries(text: str):
    for block in text.split("\n\n"):
        if "msgid" not in block:
            continue
        ids = re.findall(r'^msgid "(.*)"$', block, re.M)
        yield block, ids[0] if ids else ""


def test_catalogs_exist_for_every_app():
    apps = {p.relative_to(ROOT).parts[0] for p in CATALOGS}
    assert {"accounts", "signin", "messaging", "notices", "tickets", "portal", "locale"} <= apps


@pytest.mark.parametrize("po", CATALOGS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_string_is_translated_to_chinese(po):
    text = po.read_text(encoding="utf-8")
    missing, fuzzy = [], []
    for block, first in _entries(text):
        header = first == "" and 'msgid ""\nmsgstr ""\n"' in block
        if header:
            continue
        if "#, fuzzy" in block or ", fuzzy" in block:
            fuzzy.append(block.splitlines()[-1])
        strs = re.findall(r'^msgstr(?:\[\d\])? "(.*)"((?:\n".*")*)', block, re.M)
        if any(not (head or rest.strip()) for head, rest in strs):
            missing.append(re.sub(r"\s+", " ", block)[-120:])
    assert not fuzzy, f"fuzzy entries in {po}: {fuzzy[:5]}"
    assert not missing, f"untranslated entries in {po}: {missing[:5]}"


@pytest.mark.parametrize("po", CATALOGS, ids=lambda p: str(p.relative_to(ROOT)))
def test_compiled_catalog_is_not_older_than_its_source(po):
    import gettext

    from django.utils.translation import trans_real  # noqa: F401  (gettext is available)

    mo = po.with_suffix(".mo")
    assert mo.exists(), f"{mo} is missing: run compilemessages"
    with mo.open("rb") as handle:
        catalog = gettext.GNUTranslations(handle)
    text = po.read_text(encoding="utf-8")
    # Every single-line translated entry of the .po is in the .mo with the same translation.
    for msgid, msgstr in re.findall(r'^msgid "(.+)"\nmsgstr "(.+)"$', text, re.M):
        decoded_id = msgid.encode().decode("unicode_escape").encode("latin-1").decode("utf-8")
        decoded_str = msgstr.encode().decode("unicode_escape").encode("latin-1").decode("utf-8")
        assert catalog.gettext(decoded_id) == decoded_str, f"{mo} is stale for {decoded_id!r}"
