"""An SQL statement with its literals taken out, so the work a request does for a real account
and for an unknown name can be compared statement by statement (tables, verbs, locks, order)."""

from __future__ import annotations

import re

LITERALS = [
    (re.compile(r"'(?:[^']|'')*'"), "?"),  # strings, dates, JSON
    (re.compile(r"\b(?:NULL|TRUE|FALSE|True|False)\b"), "?"),
    (re.compile(r"(?<![\w\"])-?\d+(?:\.\d+)?\b"), "?"),  # numbers, not digits inside names
    (re.compile(r'"s\d+_x\d+"'), '"sp"'),  # savepoint names
    (re.compile(r"\s+"), " "),
]


def shape(sql: str) -> str:
    for pattern, replacement in LITERALS:
        sql = pattern.sub(replacement, sql)
    return sql.strip()
