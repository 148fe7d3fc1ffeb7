"""The portal's default password hasher: Argon2id at OWASP's minimum or above.

OWASP Password Storage cheat sheet: Argon2id with 19 MiB of memory, 2 passes, 1 lane. Django's own
Argon2 hasher uses 100 MiB and 8 lanes, which costs more CPU per sign-in than a small deployment
can afford (see ``make bench``). Older hashes are upgraded on the next successful sign-in because
this hasher comes first in ``PASSWORD_HASHERS``.
"""

from django.contrib.auth.hashers import Argon2PasswordHasher


class PortalArgon2PasswordHasher(Argon2PasswordHasher):
    algorithm = "argon2"
    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1
