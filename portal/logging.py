"""Log hygiene: every record is one line; control characters from user input are escaped."""

import logging


class OneLineFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if any(not ch.isprintable() for ch in message):
            record.msg = message.encode("unicode_escape", "backslashreplace").decode("ascii")
            record.args = ()
        return True
