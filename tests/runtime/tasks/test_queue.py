"""The one Huey instance: RedisHuey with a Redis URL, SqliteHuey otherwise, built at import."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from huey import RedisHuey, SqliteHuey
from huey.storage import MemoryStorage

from blocks.sdk import ConfigurationError
from runtime import tasks
from runtime.tasks import QueueUnavailable, build_huey, task_config

SMS = {"channel": "sms", "to": "+1", "text": "hi"}
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
    task_queue(GATEWAY + f'[storage]\nredis_url = "redis://127.0.0.1:{port}/0"\n')
    with pytest.raises(QueueUnavailable) as caught:
        tasks.enqueue("send", SMS, "s1.1.1.notify")
    assert caught.value.code == "queue_unavailable"
    assert f"the task queue at redis://127.0.0.1:{port}/0 is unavailable" in str(caught.value)
    assert tasks.ledger_for(tasks.current().database_url).get("s1.1.1.notify") is None


def test_configure_switches_the_one_instance_and_back(task_queue, tmp_path):
    instance = tasks.huey
    task_queue("[tasks]\nimmediate = true\n")
    assert tasks.huey is instance and tasks.huey.immediate
    assert isinstance(tasks.huey.storage, MemoryStorage)
    config = task_queue("[tasks]\nimmediate = false\n")
    assert not tasks.huey.immediate and isinstance(tasks.huey, SqliteHuey)
    assert tasks.huey.storage.filename == str(config.sqlite_path)
    task_queue('[storage]\nredis_url = "redis://127.0.0.1:6399/0"\n')
    assert tasks.huey is instance and isinstance(tasks.huey, RedisHuey)
    assert tasks.huey.storage.queue_key == "huey.redis.callwright"


def run_python(code: str, env: dict, cwd: Path) -> dict:
    """Run code in a fresh interpreter and return the JSON it prints last."""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, env=env, cwd=cwd)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def test_the_consumer_module_path_builds_the_queue_from_the_environment(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "CALLWRIGHT_WORKSPACE": str(write(tmp_path / "ws", "")),
           "CALLWRIGHT_STORAGE_REDIS_URL": "redis://127.0.0.1:6399/0"}
    code = ("import json, runtime.tasks as t\n"
            "print(json.dumps({'kind': type(t.huey).__name__,"
            " 'tasks': sorted(t.huey._registry._registry)}))")
    found = run_python(code, env, tmp_path)
    assert found == {"kind": "RedisHuey", "tasks": [
        "runtime.tasks.alerts.check_alerts_task", "runtime.tasks.callbacks.post_callback",
        "runtime.tasks.calls.place_call", "runtime.tasks.campaign_runs.advance_campaign",
        "runtime.tasks.delivery.send_message", "runtime.tasks.periodic.clean_up_sessions",
        "runtime.tasks.periodic.recover_deliveries", "runtime.tasks.periodic.roll_up"]}


def test_importing_the_runtime_does_not_load_the_queue(tmp_path):
    code = "import json, sys, runtime\nprint(json.dumps(sorted(sys.modules)))"
    loaded = run_python(code, {"PATH": "/usr/bin:/bin"}, tmp_path)
    assert not {name for name in loaded if name.startswith(("huey", "redis", "runtime.tasks"))}
