"""A workspace's task queue: RedisHuey with a Redis URL, SqliteHuey otherwise, made by its runtime."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from huey import RedisHuey, SqliteHuey
from huey.storage import MemoryStorage

from blocks.sdk import BlockError, ConfigurationError
from runtime import Runtime
from runtime.tasks import QueueUnavailable, build_huey, task_config

SMS = {"channel": "sms", "to": "+4915112345678", "text": "hi"}
GATEWAY = '[sms]\ngateway = "https://sms.example.com/messages"\n[webhooks]\nsecret = "s"\n'


def write(root: Path, toml: str) -> Path:
    """Write a workspace holding only callwright.toml."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "callwright.toml").write_text(toml, "utf-8")
    return root


def closed_port() -> int:
    """Return a port on 127.0.0.1 where nothing listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_without_redis_the_queue_is_sqlite_in_the_workspace(tmp_path):
    config = task_config(write(tmp_path / "ws", ""), environ={})
    assert config.redis_url is None
    assert config.sqlite_path == tmp_path / "ws" / ".callwright" / "tasks.sqlite3"
    assert config.database_url == f"sqlite:///{tmp_path / 'ws' / '.callwright' / 'callwright.sqlite3'}"
    queue = build_huey(config)
    assert isinstance(queue, SqliteHuey) and queue.name == "callwright"
    assert not (tmp_path / "ws" / ".callwright").exists()  # made when work is first queued
    assert queue.pending_count() == 0
    assert config.sqlite_path.exists()


def test_the_sqlite_file_can_be_put_elsewhere(tmp_path):
    config = task_config(write(tmp_path / "ws", ""),
                         environ={"CALLWRIGHT_TASKS_SQLITE": str(tmp_path / "q.sqlite3")})
    assert config.sqlite_path == tmp_path / "q.sqlite3"


def test_a_redis_url_from_the_toml_or_the_environment_makes_a_redis_queue(tmp_path):
    root = write(tmp_path / "ws", '[storage]\nredis_url = "redis://127.0.0.1:6399/2"\n')
    config = task_config(root, environ={})
    queue = build_huey(config)
    assert isinstance(queue, RedisHuey)
    assert queue.storage.queue_key == "huey.redis.callwright"
    assert config.where == "redis://127.0.0.1:6399/2"
    from_env = task_config(write(tmp_path / "other", ""),
                           environ={"CALLWRIGHT_STORAGE_REDIS_URL": "redis://:pw@127.0.0.1:1/0"})
    assert from_env.redis_url == "redis://:pw@127.0.0.1:1/0"
    assert from_env.where == "redis://:***@127.0.0.1:1/0"


def test_immediate_mode_runs_on_memory(tmp_path):
    config = task_config(write(tmp_path / "ws", ""), environ={"CALLWRIGHT_TASKS_IMMEDIATE": "true"})
    assert config.immediate is True
    assert isinstance(build_huey(config).storage, MemoryStorage)


def test_retry_policy_comes_from_the_tasks_section(tmp_path):
    config = task_config(write(tmp_path / "ws", "[tasks]\nretries = 7\nretry_delay_s = 1.5\n"),
                         environ={})
    assert (config.retries, config.retry_delay_s) == (7, 1.5)


def test_a_redis_url_redis_cannot_use_is_a_configuration_error_naming_it(tmp_path):
    config = task_config(write(tmp_path / "ws", '[storage]\nredis_url = "http://x:1"\n'),
                         environ={})
    with pytest.raises(ConfigurationError, match=r"\[storage\] redis_url 'http://x:1'"):
        build_huey(config)


def test_queueing_while_redis_is_down_raises_a_clear_error_and_records_nothing(task_queue):
    port = closed_port()
    queue = task_queue(GATEWAY + f'[storage]\nredis_url = "redis://127.0.0.1:{port}/0"\n')
    with pytest.raises(QueueUnavailable) as caught:
        queue.enqueue("send", SMS, "s1.1.1.notify")
    assert caught.value.code == "queue_unavailable"
    assert f"the task queue at redis://127.0.0.1:{port}/0 is unavailable" in str(caught.value)
    assert queue.ledger.get("s1.1.1.notify") is None


def test_each_workspace_has_a_queue_of_its_own_kind(task_queue, tmp_path):
    immediate = task_queue("[tasks]\nimmediate = true\n", root=tmp_path / "a")
    embedded = task_queue("[tasks]\nimmediate = false\n", root=tmp_path / "b")
    shared = task_queue('[storage]\nredis_url = "redis://127.0.0.1:6399/0"\n', root=tmp_path / "c")
    assert isinstance(immediate.huey.storage, MemoryStorage) and immediate.huey.immediate
    assert isinstance(embedded.huey, SqliteHuey) and not embedded.huey.immediate
    assert embedded.huey.storage.filename == str(tmp_path / "b" / ".callwright" / "tasks.sqlite3")
    assert isinstance(shared.huey, RedisHuey)
    assert shared.huey.storage.queue_key == "huey.redis.callwright"
    assert len({id(q.huey) for q in (immediate, embedded, shared)}) == 3


def test_every_queue_carries_the_products_tasks_under_stable_names(task_queue):
    # a consumer in another process opens its own queue: the names are what producer and
    # consumer agree on
    queue = task_queue("")
    assert sorted(queue.huey._registry._registry) == [
        "runtime.tasks.alerts.check_alerts_task", "runtime.tasks.callbacks.post_callback",
        "runtime.tasks.campaign_runs.advance_campaign",
        "runtime.tasks.delivery.send_message", "runtime.tasks.periodic.clean_up_sessions",
        "runtime.tasks.periodic.recover_deliveries", "runtime.tasks.periodic.roll_up"]
    # calls are placed by the voice nodes, which own the lines: they have a queue of their own
    assert sorted(queue.lines.huey._registry._registry) == ["runtime.tasks.calls.place_call"]
    assert queue.lines.huey.name == "callwright.lines"


def test_a_queued_call_goes_on_the_lines_queue_not_the_workers(task_queue):
    queue = task_queue("")
    queue.enqueue("call", {"execution": "e1"}, "e1.call")
    assert (queue.huey.pending_count(), queue.lines.huey.pending_count()) == (0, 1)
    assert queue.lines.huey.dequeue().args == ("e1",)


def test_an_unknown_task_is_refused_naming_the_known_ones(task_queue):
    queue = task_queue("")
    with pytest.raises(BlockError, match="unknown task 'fax': the known tasks are call, callback, "
                                         "campaign, send"):
        queue.enqueue("fax", SMS, "k")


def test_campaign_and_call_tasks_need_the_runtime_the_queue_serves(task_queue):
    queue = task_queue("")
    with pytest.raises(ConfigurationError, match="serves no runtime"):
        queue.runtime


def test_a_runtime_opened_on_a_workspace_binds_its_queue(make_workspace):
    runtime = Runtime.open(make_workspace())
    try:
        assert runtime.queue.runtime is runtime
    finally:
        runtime.close()


def run_python(code: str, env: dict, cwd: Path) -> dict:
    """Run code in a fresh interpreter and return the JSON it prints last."""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, env=env, cwd=cwd)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def test_importing_the_runtime_makes_no_queue(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": os.environ.get("PYTHONPATH", ""),
           "CALLWRIGHT_WORKSPACE": str(tmp_path)}
    code = ("import gc, json, runtime\nfrom huey.api import Huey\n"
            "print(json.dumps(sum(isinstance(o, Huey) for o in gc.get_objects())))")
    assert run_python(code, env, tmp_path) == 0
    assert list(tmp_path.iterdir()) == []


def test_a_turn_s_replies_queued_at_once_are_recorded_and_queued_in_order(task_queue):
    queue = task_queue(GATEWAY)
    jobs = [({**SMS, "text": f"part {n}"}, f"s1.1.reply.{n}") for n in (1, 2, 3)]
    queue.enqueue_all("send", jobs)
    queue.enqueue_all("send", jobs)  # the same turn replayed queues nothing more
    assert [task.args[0] for task in queue.huey.pending()] == [key for _, key in jobs]
    assert [queue.ledger.get(key)["payload"]["text"] for _, key in jobs] == \
        ["part 1", "part 2", "part 3"]


def test_replies_that_cannot_be_queued_are_not_recorded_either(task_queue, tmp_path):
    queue = task_queue(GATEWAY)
    queue.huey.storage.close()
    (tmp_path / "blocked").mkdir()
    queue.huey.storage.filename = str(tmp_path / "blocked")  # a folder: SQLite cannot open it
    with pytest.raises(QueueUnavailable):
        queue.enqueue_all("send", [(SMS, "s1.1.reply.1"), (SMS, "s1.1.reply.2")])
    assert queue.ledger.get("s1.1.reply.1") is None and queue.ledger.get("s1.1.reply.2") is None


def test_replies_queued_at_once_while_redis_is_down_are_not_recorded(task_queue):
    queue = task_queue(GATEWAY + f'[storage]\nredis_url = "redis://127.0.0.1:{closed_port()}/0"\n')
    with pytest.raises(QueueUnavailable):
        queue.enqueue_all("send", [(SMS, "s1.1.reply.1"), (SMS, "s1.1.reply.2")])
    assert queue.ledger.get("s1.1.reply.1") is None and queue.ledger.get("s1.1.reply.2") is None
