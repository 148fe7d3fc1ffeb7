"""Log hygiene: every record is one line; control characters from user input are escaped.

A request refused as the client's fault (a 4xx: ``BadRequest``, ``SuspiciousOperation``) is
logged by Django with its traceback; the traceback tells nothing about the portal, so it is
dropped and the record stays one line. Errors of the portal (5xx) keep theirs."""

import logging


class OneLineFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and getattr(record, "status_code", 500) < 500:
            record.exc_info = None
            record.exc_text = None
        message = record.getMessage()
        if any(not ch.isprintable() for ch in message):
            record.msg = message.encode("unicode_escape", "backslashreplace").decode("ascii")
            record.args = ()
        return True
