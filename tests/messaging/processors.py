"""Context processors used by the messaging tests (MESSAGING_CONTEXT_PROCESSORS)."""

from types import SimpleNamespace


def maintenance(*, kind, user, language):
    return {"maintenance_notices": [SimpleNamespace(title="CRM upgrade", when="Sat 22:00-23:00")]}


def broken(*, kind, user, language):
    raise RuntimeError("notices cache unavailable")
