"""The hasher of client secrets (``OAUTH2_PROVIDER["CLIENT_SECRET_HASHER"]``).

A person's password is guessable, so it is stored with Argon2id at a cost that makes each guess
expensive (15-20 ms of a core). A client secret is not: the portal makes it with
``secrets.token_urlsafe`` (256 bits) and the model refuses one shorter than
``CLIENT_SECRET_MIN_LENGTH`` characters, so no number of guesses can find it, however cheap each
guess is. Hashing it only has to be one-way and salted, so that a database dump does not hand out
working secrets. Argon2 there bought nothing and cost 15-20 ms of CPU on every token request (the
code exchange, each refresh, revocation, introspection): a salted PBKDF2-SHA256 with 1 000
iterations costs well under a millisecond.

Secrets stored earlier with the password hasher still verify (Django identifies a hash by its
prefix, and Argon2 stays in ``PASSWORD_HASHERS``); the first time one is presented and matches,
it is stored again with this hasher (``sso.services.client_secret_rehash``).
"""

from __future__ import annotations

from django.contrib.auth.hashers import PBKDF2PasswordHasher

CLIENT_SECRET_MIN_LENGTH = 32


class ClientSecretHasher(PBKDF2PasswordHasher):
    """PBKDF2-SHA256, salted, 1 000 iterations: for high-entropy client secrets only. It is
    listed last in ``PASSWORD_HASHERS`` so Django can identify its hashes; a person's password
    is always stored with the first hasher (Argon2id)."""

    algorithm = "sso_pbkdf2_sha256"
    iterations = 1000

    def must_update(self, encoded: str) -> bool:
        return False  # its cost is fixed by design, not raised with Django's defaults

    def harden_runtime(self, password: str, encoded: str) -> None:
        pass  # no timing to even out: the cost is fixed
