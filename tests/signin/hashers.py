"""Password hashers for tests: one that counts every hash it computes (verify, encode and
hardening alike), one that records which operations ran.

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


class RecordingHasher(MD5PasswordHasher):
    """Records which hash operations run ("verify", "encode"), outermost calls only."""

    calls: list[str] = []
    _depth = 0

    def _record(self, name, method, *args):
        if RecordingHasher._depth == 0:
            RecordingHasher.calls.append(name)
        RecordingHasher._depth += 1
        try:
            return method(*args)
        finally:
            RecordingHasher._depth -= 1

    def verify(self, password, encoded):
        return self._record("verify", super().verify, password, encoded)

    def encode(self, password, salt):
        return self._record("encode", super().encode, password, salt)

    def harden_runtime(self, password, encoded):
        return self._record("harden_runtime", super().harden_runtime, password, encoded)
