"""A password hasher that counts every hash it computes (verify, encode and hardening alike).

MD5's ``verify`` calls ``encode`` itself; that inner call is the same hash and is not counted.
"""

from django.contrib.auth.hashers import MD5PasswordHasher


class CountingHasher(MD5PasswordHasher):
    calls = 0
    _inside = False

    def verify(self, password, encoded):
        CountingHasher.calls += 1
        CountingHasher._inside = True
        try:
            return super().verify(password, encoded)
        finally:
            CountingHasher._inside = False

    def encode(self, password, salt):
        if not CountingHasher._inside:
            CountingHasher.calls += 1
        return super().encode(password, salt)

    def harden_runtime(self, password, encoded):
        CountingHasher.calls += 1
