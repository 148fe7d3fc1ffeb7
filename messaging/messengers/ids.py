"""A person's messenger ids as the outbox sees them: their form, the account's verified ones
(from accounts, a higher layer, through ``MESSAGING_MESSENGER_IDS``), and their spend caps."""

from __future__ import annotations

import re
from typing import Any

from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from messaging import conf
from messaging.errors import InvalidRecipient

# WeCom userid (1-64 of letters, digits, _-.@), DingTalk userid, Feishu user_id: none holds
# "|" or "," (WeCom and DingTalk separate several recipients with them) or a space.
MESSENGER_ID = re.compile(r"^[A-Za-z0-9_.@\-]{1,64}$")
HOUR, DAY = 3600, 86400


def messenger_id_normalize(raw: object) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise InvalidRecipient(_("No messenger id was given."), code="messenger_id_missing")
    value = raw.strip()
    if not MESSENGER_ID.match(value):
        raise InvalidRecipient(
            _("A messenger id is 1 to 64 letters, digits or _ - . @."), code="messenger_id_invalid"
        )
    return value


def messenger_ids_of(user: Any) -> dict[str, str]:
    """{channel: id} of ``user``'s verified messenger ids (none without the setting)."""
    dotted = conf.get("MESSAGING_MESSENGER_IDS")
    if not dotted or user is None or getattr(user, "pk", None) is None:
        return {}
    return dict(import_string(dotted)(user=user))


def messenger_caps(*, channel: str, address: str, user_id: int | None):
    """(scope, seconds, limit, subject, reason) of each cap one send to ``address`` takes."""
    return [
        (
            f"messaging:im-id-hour:{channel}",
            HOUR,
            conf.get("MESSENGER_CAP_PER_ID_HOUR"),
            address,
            "id_hour",
        ),
        (
            f"messaging:im-id-day:{channel}",
            DAY,
            conf.get("MESSENGER_CAP_PER_ID_DAY"),
            address,
            "id_day",
        ),
        ("messaging:im-budget-hour", HOUR, conf.get("MESSENGER_BUDGET_HOUR"), "all", "budget_hour"),
        ("messaging:im-budget-day", DAY, conf.get("MESSENGER_BUDGET_DAY"), "all", "budget_day"),
    ]
