"""Backup codes for two-step sign-in: made here, shown once, stored only as keyed digests.

django-otp's ``StaticToken`` keeps each code as it is; here its ``token`` column holds a keyed
digest of the code instead (HMAC-SHA256 under ``SECRET_KEY``, 16 hex characters, which is what
the column holds), so a copy of the database gives no code that works. A code is checked by its
digest under the current key and each of ``SECRET_KEY_FALLBACKS`` (a rotated key leaves the
codes working), used once, and a wrong one counts toward the device's throttle, as django-otp's
own ``StaticDevice.verify_token`` does. Codes are 8 characters from ``StaticToken.random_token``
(40 random bits); what is typed is compared without case, spaces or dashes.
"""

from __future__ import annotations

import re

from django.utils.crypto import salted_hmac
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

from portal.keys import signing_keys

SALT = "accounts.backup-code"
DIGEST = re.compile(r"^[0-9a-f]{16}$")


def backup_code_normalize(code: str) -> str:
    return "".join(str(code).split()).replace("-", "").lower()


def backup_code_digest(code: str, *, secret: str | None = None) -> str:
    """What is stored for ``code``: its keyed digest under ``secret`` (default ``SECRET_KEY``)."""
    value = backup_code_normalize(code)
    return salted_hmac(SALT, value, secret=secret, algorithm="sha256").hexdigest()[:16]


def _digests(code: str) -> list[str]:
    return [backup_code_digest(code, secret=key) for key in signing_keys()]


def backup_codes_replace(*, user, name: str, count: int) -> list[str]:
    """A new confirmed backup device for ``user`` with ``count`` codes (the old ones stop
    working). Returns the codes: the only time they exist outside the user's hands."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=name, confirmed=True)
    codes: list[str] = []
    while len(codes) < count:
        code = StaticToken.random_token()
        if code not in codes:
            codes.append(code)
    StaticToken.objects.bulk_create(
        [StaticToken(device=device, token=backup_code_digest(code)) for code in codes]
    )
    return codes


def backup_code_use(*, device: StaticDevice, code: str) -> bool:
    """Use one of ``device``'s codes (call inside a transaction, the device locked): True and the
    code is gone, or False and the device's throttle goes up. A throttled device accepts none."""
    allowed, _info = device.verify_is_allowed()
    if not allowed:
        return False
    match = device.token_set.filter(token__in=_digests(code)).first()
    if match is None:
        device.throttle_increment()
        return False
    match.delete()
    device.throttle_reset(commit=False)
    device.set_last_used_timestamp(commit=False)
    device.save()
    return True


def is_digest(token: str) -> bool:
    """Whether a stored token is a digest (and not a code kept as it was, before migration
    ``accounts.0007``)."""
    return bool(DIGEST.match(token))
