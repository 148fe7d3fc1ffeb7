"""Link people's WeCom, DingTalk or Feishu ids from a CSV file: ``username,messenger,id``.

    manage.py import_messenger_ids ids.csv      (or - for standard input)

Each good line is saved as a verified id (source "imported by an admin") and audited; bad lines
are reported by number and change nothing. The messengers: wecom, dingtalk, feishu."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError

from accounts.messenger_ids import messenger_ids_import


class Command(BaseCommand):
    help = "Link messenger ids (WeCom, DingTalk, Feishu) from CSV: username,messenger,id"

    def add_arguments(self, parser):
        parser.add_argument("path", help="the CSV file, or - for standard input")

    def handle(self, *args, path: str, **options):
        try:
            if path == "-":
                text = sys.stdin.read()
            else:
                with open(path, encoding="utf-8-sig") as handle:
                    text = handle.read()
        except (OSError, UnicodeError) as exc:
            raise CommandError(f"cannot read {path}: {exc}") from None
        report = messenger_ids_import(text=text)
        for problem in report.problems:
            self.stderr.write(problem)
        self.stdout.write(
            f"linked {report.linked}, unchanged {report.unchanged}, refused {len(report.problems)}"
        )
