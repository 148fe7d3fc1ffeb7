"""Django's Redis cache with two fixes that matter on the sign-in path.

- Django builds a new ``redis.Redis`` client object on every cache call (``get_client``); the
  pool is shared, but the client construction alone costs about as much as a round trip. Here
  each pool's client is built once and reused (``redis.Redis`` is thread-safe).
- Django's ``incr``/``decr`` is two round trips (``EXISTS``, then ``INCRBY``) and not atomic: a
  key that expires between the two comes back without an expiry. Here it is one Lua call that
  increments only an existing key and keeps its expiry.

Everything else is Django's ``RedisCache`` as documented; ``CACHES[...]["BACKEND"]`` names this
class (``portal.cache.RedisCache``) when ``REDIS_URL`` is set.
"""

from __future__ import annotations

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient as DjangoRedisCacheClient

INCR_EXISTING = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  return redis.call('INCRBY', KEYS[1], ARGV[1])
end
return false
"""


class RedisCacheClient(DjangoRedisCacheClient):
    def __init__(self, servers, **options) -> None:
        super().__init__(servers, **options)
        self._clients: dict[int, object] = {}
        self._scripts: dict[str, object] = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            pool = self._get_connection_pool(write)
            client = self._clients.setdefault(index, self._client(connection_pool=pool))
        return client

    def script(self, source: str):
        """A Lua script, registered once (later calls are ``EVALSHA``)."""
        script = self._scripts.get(source)
        if script is None:
            script = self._scripts.setdefault(
                source, self.get_client(write=True).register_script(source)
            )
        return script

    def incr(self, key, delta):
        client = self.get_client(key, write=True)
        value = self.script(INCR_EXISTING)(keys=[key], args=[delta], client=client)
        if value is None:
            raise ValueError(f"Key '{key}' not found.")
        return int(value)


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = RedisCacheClient

    def client(self, *, write: bool = True):
        """The underlying ``redis.Redis`` client, for the few callers that need one round trip
        for several commands (a pipeline or a script). Keys passed to it must be made with
        ``make_and_validate_key``; values read through it, decoded with ``loads``."""
        return self._cache.get_client(write=write)

    def script(self, source: str):
        """A Lua script to call with ``keys=``, ``args=`` (one round trip)."""
        return self._cache.script(source)

    def loads(self, value: bytes):
        """A value as the cache stores it (an int, or a pickle), read through ``client()``."""
        return self._cache._serializer.loads(value)


def redis_backend(alias: str = "default") -> RedisCache | None:
    """The cache as this class when it is one (Redis configured), else None: callers then use
    Django's cache API only."""
    backend = caches[alias]
    return backend if isinstance(backend, RedisCache) else None
