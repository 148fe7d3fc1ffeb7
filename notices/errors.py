"""Domain errors of the notices app."""


class NoticeError(Exception):
    """A notice is not in the state the requested change needs."""
