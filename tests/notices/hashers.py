"""A password hasher that counts every hash it computes (verify and encode alike)."""

from django.contrib.auth.hashers import MD5PasswordHasher


class CountingHasher(MD5PasswordHasher):
    calls = 0

    def verify(self, password, encoded):
        CountingHasher.calls += 1
        return super().verify(password, encoded)

    def encode(self, password, salt):
        CountingHasher.calls += 1
        return super().encode(password, salt)

    def harden_runtime(self, password, encoded):
        CountingHasher.calls += 1
