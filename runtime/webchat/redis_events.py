"""Chat messages in Redis, shared by every node; Redis pub/sub tells listening processes.

Keys, under a prefix (default `callwright:`): `chat:<conversation>`, a sorted set of
`<id>|<message JSON>` by id (the last `KEEP`, expiring after `TTL_S` without a message);
`chat:seq`, the counter ids come from; `chat:key:<key>`, the id a keyed message got (a retried
delivery keeps nothing twice). Every append publishes `<conversation>|<id>|<message JSON>` on
`chat:events`, in the same Lua script, so a listener never misses what was kept.
"""

from __future__ import annotations

import json
from typing import Any, Callable

from blocks.sdk import ConfigurationError

from .events import KEEP, TTL_S, ChatEvents, Listener, Message, stamped

SCHEMES = ("redis://", "rediss://", "unix://")
INSTALL = "pip install 'callwright[redis]'"

# KEYS: the conversation's set, the id counter, the key's id (or the counter again: no key)
# ARGV: message JSON, keep, ttl, channel, conversation, "1" when keyed
_APPEND = """
if ARGV[6] == '1' then
  local known = redis.call('GET', KEYS[3])
  if known then return tonumber(known) end
end
local id = redis.call('INCR', KEYS[2])
redis.call('ZADD', KEYS[1], id, id .. '|' .. ARGV[1])
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -tonumber(ARGV[2]) - 1)
redis.call('EXPIRE', KEYS[1], ARGV[3])
if ARGV[6] == '1' then redis.call('SET', KEYS[3], id, 'EX', ARGV[3]) end
redis.call('PUBLISH', ARGV[4], ARGV[5] .. '|' .. id .. '|' .. ARGV[1])
return id
"""


class RedisChatEvents(ChatEvents):
    """Keeps chat messages in Redis and publishes each one as it is kept."""

    def __init__(self, url: str, prefix: str = "callwright:") -> None:
        try:
            import redis
            import redis.asyncio
        except ImportError:
            raise ConfigurationError(f"web chat on Redis needs the redis package: {INSTALL}") \
                from None
        self.url = url
        self.prefix = prefix
        self._redis = redis
        self._client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
        self._append = self._client.register_script(_APPEND)
        self.channel = f"{prefix}chat:events"

    def append(self, conversation: str, message: Message, key: str | None = None) -> int:
        body = json.dumps(message, ensure_ascii=False, separators=(",", ":"))
        seq = f"{self.prefix}chat:seq"
        keys = [f"{self.prefix}chat:{conversation}", seq,
                f"{self.prefix}chat:key:{key}" if key else seq]
        return int(self._append(keys=keys, args=[body, KEEP, TTL_S, self.channel, conversation,
                                                 "1" if key else "0"]))

    def since(self, conversation: str, after: int) -> list[Message]:
        members = self._client.zrangebyscore(f"{self.prefix}chat:{conversation}", f"({after}",
                                             "+inf")
        return [_message(member) for member in members]

    async def listen(self, deliver: Listener, ready: Callable[[], None] = lambda: None) -> None:
        client: Any = self._redis.asyncio.Redis.from_url(self.url, socket_connect_timeout=2)
        pubsub = client.pubsub()
        try:
            await pubsub.subscribe(self.channel)
            async for item in pubsub.listen():
                if item["type"] == "subscribe":  # Redis confirmed: from now on nothing is missed
                    ready()
                    continue
                if item["type"] != "message":
                    continue
                conversation, _, rest = item["data"].decode("utf-8").partition("|")
                message = _message(rest.encode("utf-8"))
                deliver(conversation, message["id"], message)
        finally:
            await pubsub.aclose()
            await client.aclose()

    def close(self) -> None:
        self._client.close()


def _message(member: bytes) -> Message:
    """Return a kept `<id>|<JSON>` member as a message with its id."""
    head, _, body = member.partition(b"|")
    return stamped(json.loads(body), int(head))
