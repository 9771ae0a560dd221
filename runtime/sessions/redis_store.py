"""Sessions in Redis: shared by every runtime node of a cluster.

Keys, under a prefix (default `callwright:`, apart from the task queue's `huey.*` keys):

- `session:<id>`: the session as `<rev>|<dumps() JSON>`; the revision in front lets the save
  script compare it without decoding the JSON;
- `sessions`: a sorted set of session ids by the time they were last saved, so that `expire`
  finds old sessions without scanning the keyspace;
- `conversations`: a hash of conversation key (JSON `[channel, address, flow]`) to the waiting
  session's id, and `conversation-of`, the reverse (session id to its conversation key);
- `message:<channel>:<message id>`: an inbound message's claim (with a TTL), and `messages`, a
  sorted set of claims by the time they were made.

Every write that must be atomic is one Lua script, run by EVALSHA in one round trip. A
connection error or timeout is retried twice; the scripts are written so that a retry of a
command that did reach Redis (its reply lost) ends as the first run would have.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable
from typing import Any, NoReturn

from blocks.sdk import ConfigurationError
from runtime.errors import SessionStoreUnavailable
from runtime.redaction import redacted

from .locks import ConversationLocks, RedisLocks
from .session import Session
from .store import SessionStore, StaleSession, conversation_key

log = logging.getLogger(__name__)
SCHEMES = ("redis://", "rediss://", "unix://")
INSTALL = "pip install 'callwright[redis]'"
# A redelivery comes within minutes; the TTL makes Redis forget a claim after a week even where
# no worker runs the periodic clean-up (sessions get none: that job deletes them with their index)
CLAIM_TTL_S = 7 * 24 * 3600
EXPIRE_BATCH = 500  # ids deleted per script run, so that Redis never blocks for long
_PENDING = "?"  # a claim's value while its message is handled: "?" and the claimant's token

# KEYS: session, sessions by time, conversations, conversation-of
# ARGV: id, expected rev, new value, updated_at, conversation key ("" when not indexed)
# Returns 1 when the save won, 0 when the stored revision was not the expected one.
_SAVE = """
local stored = redis.call('GET', KEYS[1])
local rev = 0
if stored then
  if stored == ARGV[3] then return 1 end
  rev = tonumber(string.match(stored, '^(%d+)|'))
end
if rev ~= tonumber(ARGV[2]) then return 0 end
redis.call('SET', KEYS[1], ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[1])
local old = redis.call('HGET', KEYS[4], ARGV[1])
if old and old ~= ARGV[5] and redis.call('HGET', KEYS[3], old) == ARGV[1] then
  redis.call('HDEL', KEYS[3], old)
end
if ARGV[5] == '' then
  if old then redis.call('HDEL', KEYS[4], ARGV[1]) end
  return 1
end
local replaced = redis.call('HGET', KEYS[3], ARGV[5])
if replaced and replaced ~= ARGV[1] then redis.call('HDEL', KEYS[4], replaced) end
redis.call('HSET', KEYS[3], ARGV[5], ARGV[1])
redis.call('HSET', KEYS[4], ARGV[1], ARGV[5])
return 1
"""

# Takes a session out of the conversation index (hashes: conversations, conversation-of).
_UNINDEX = """
local function unindex(conversations, conversation_of, id)
  local key = redis.call('HGET', conversation_of, id)
  if key then
    if redis.call('HGET', conversations, key) == id then redis.call('HDEL', conversations, key) end
    redis.call('HDEL', conversation_of, id)
  end
end
"""

# KEYS: session, sessions by time, conversations, conversation-of; ARGV: id
_DELETE = _UNINDEX + """
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
unindex(KEYS[3], KEYS[4], ARGV[1])
return 1
"""

# KEYS: sessions by time, conversations, conversation-of
# ARGV: session key prefix, "(<before>", batch size
# Returns {ids looked at, sessions deleted}.
_EXPIRE = _UNINDEX + """
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[2], 'LIMIT', 0, ARGV[3])
local deleted = 0
for _, id in ipairs(ids) do
  deleted = deleted + redis.call('DEL', ARGV[1] .. id)
  unindex(KEYS[2], KEYS[3], id)
end
if #ids > 0 then redis.call('ZREM', KEYS[1], unpack(ids)) end
return {#ids, deleted}
"""

# KEYS: claim, claims by time; ARGV: pending value, time, TTL in seconds
# Returns 0 when this call made the claim, else the claim's value.
_CLAIM = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[3]) then
  redis.call('ZADD', KEYS[2], ARGV[2], KEYS[1])
  return 0
end
return redis.call('GET', KEYS[1])
"""

# KEYS: claims by time; ARGV: "(<before>", batch size. Returns how many claims it looked at.
_FORGET_CLAIMS = """
local claims = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
if #claims > 0 then
  redis.call('DEL', unpack(claims))
  redis.call('ZREM', KEYS[1], unpack(claims))
end
return #claims
"""


class RedisSessionStore(SessionStore):
    """Keeps sessions in Redis, with the revision rule and conversation index of every store.

    One client with a connection pool per store: safe to share between threads.
    """

    remote = True

    def __init__(self, url: str, prefix: str = "callwright:",
                 claim_ttl_s: int = CLAIM_TTL_S) -> None:
        self.where = redacted(url)
        self.prefix = prefix
        self.claim_ttl_s = int(claim_ttl_s)
        redis = _redis_module()
        self._errors: type[Exception] = redis.exceptions.RedisError
        try:
            # a short connect timeout and two quick retries: a request learns within a second
            # that Redis is down, yet rides over a restart (pooled connections go stale then)
            retry = redis.retry.Retry(redis.backoff.ExponentialBackoff(cap=0.5, base=0.05), 2)
            self._client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5,
                                                retry=retry)
        except ValueError as exc:
            raise ConfigurationError(f"session store URL {self.where!r}: {exc}") from None
        self._sessions = prefix + "sessions"
        self._conversations = prefix + "conversations"
        self._conversation_of = prefix + "conversation-of"
        self._messages = prefix + "messages"
        self._save = self._client.register_script(_SAVE)
        self._delete = self._client.register_script(_DELETE)
        self._expire = self._client.register_script(_EXPIRE)
        self._claim = self._client.register_script(_CLAIM)
        self._forget_claims = self._client.register_script(_FORGET_CLAIMS)

    def _make_locks(self) -> ConversationLocks:
        return RedisLocks(self._client, self.prefix, errors=self._errors,
                          unavailable=self._unavailable)

    def _run(self, command: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run one Redis command; raise SessionStoreUnavailable naming the store when it fails."""
        try:
            return command(*args, **kwargs)
        except self._errors as exc:
            self._unavailable(exc)

    def _unavailable(self, exc: Exception) -> NoReturn:
        """Log and raise the error that tells clients the session store cannot be reached."""
        log.warning("session store at %s: %s", self.where, exc)
        raise SessionStoreUnavailable(
            f"the session store at {self.where} is unavailable: {exc}") from exc

    def _key(self, session_id: str) -> str:
        """Return the key of a session."""
        return f"{self.prefix}session:{session_id}"

    def _claim_key(self, channel: str, message_id: str) -> str:
        """Return the key of an inbound message's claim."""
        return f"{self.prefix}message:{channel}:{message_id}"

    def get(self, session_id: str) -> Session | None:
        stored = self._run(self._client.get, self._key(session_id))
        return Session.loads(stored.partition(b"|")[2]) if stored else None

    def save(self, session: Session) -> None:
        loaded = session.rev, session.updated_at
        session.updated_at = time.time()
        session.rev += 1
        key = conversation_key(session)
        try:
            won = self._run(self._save,
                            keys=[self._key(session.id), self._sessions, self._conversations,
                                  self._conversation_of],
                            args=[session.id, loaded[0], f"{session.rev}|{session.dumps()}",
                                  repr(session.updated_at), _index_field(key) if key else ""])
        except SessionStoreUnavailable:
            session.rev, session.updated_at = loaded
            raise
        if won != 1:
            session.rev, session.updated_at = loaded
            raise StaleSession(f"session {session.id} was changed by another turn")

    def delete(self, session_id: str) -> None:
        self._run(self._delete, keys=[self._key(session_id), self._sessions, self._conversations,
                                      self._conversation_of], args=[session_id])

    def open_session(self, channel: str, address: str, flow_id: str) -> str | None:
        found = self._run(self._client.hget, self._conversations,
                          _index_field((channel, address, flow_id)))
        return found.decode() if found else None

    def claim_message(self, channel: str, message_id: str) -> str | None:
        # the claim's token tells a retried claim (its first reply lost) from someone else's
        mine = _PENDING + uuid.uuid4().hex
        found = self._run(self._claim, keys=[self._claim_key(channel, message_id), self._messages],
                          args=[mine, repr(time.time()), self.claim_ttl_s])
        if found == 0 or found == mine.encode():
            return None
        value = found.decode()
        return "" if value.startswith(_PENDING) else value

    def settle_message(self, channel: str, message_id: str, session_id: str | None) -> None:
        key = self._claim_key(channel, message_id)
        if session_id is None:
            pipe = self._client.pipeline(transaction=True)
            pipe.delete(key)
            pipe.zrem(self._messages, key)
            self._run(pipe.execute)
        else:
            self._run(self._client.set, key, session_id, xx=True, keepttl=True)

    def expire(self, before: float) -> int:
        """Delete every session last saved before `before` (unix seconds); return how many.

        Message ids claimed before then are forgotten too: a sender redelivers within minutes.
        Works in batches, each one atomic, so that other clients get their turn in between.
        """
        bound = f"({before!r}"
        deleted = 0
        while True:
            seen, gone = self._run(self._expire, keys=[self._sessions, self._conversations,
                                                       self._conversation_of],
                                   args=[self._key(""), bound, EXPIRE_BATCH])
            deleted += gone
            if seen < EXPIRE_BATCH:
                break
        while self._run(self._forget_claims, keys=[self._messages],
                        args=[bound, EXPIRE_BATCH]) >= EXPIRE_BATCH:
            pass
        return deleted

    def close(self) -> None:
        if self._locks is not None:
            self._locks.close()
        self._client.close()


def _redis_module() -> Any:
    """Import redis-py, or say how to install it."""
    try:
        import redis
        import redis.backoff
        import redis.retry
    except ImportError:
        raise ConfigurationError(f"a redis:// session store needs the redis package: "
                                 f"{INSTALL}") from None
    return redis


def _index_field(key: tuple[str, str, str]) -> str:
    """Return the conversation index's field for (channel, address, flow id)."""
    return json.dumps(key, separators=(",", ":"), ensure_ascii=False)


__all__ = ["SCHEMES", "RedisSessionStore"]
