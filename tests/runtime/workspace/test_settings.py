"""Workspace settings: defaults, then callwright.toml, then CALLWRIGHT_<SECTION>_<KEY>."""

import pytest

from runtime.errors import EngineError
from runtime.workspace.settings import SettingsError, environment_name, load_settings


def write(tmp_path, text: str):
    """Write a callwright.toml into a workspace folder and return the folder."""
    (tmp_path / "callwright.toml").write_text(text, encoding="utf-8")
    return tmp_path


def test_defaults_without_a_workspace_or_environment():
    settings = load_settings(None, environ={})
    assert settings["http"] == {"allow": [], "timeout_s": 10.0, "max_response_bytes": 1048576,
                                "max_connections": 1000}
    assert settings["server"] == {"host": "127.0.0.1", "port": 8080}
    assert settings["webhooks"] == {}


def test_a_workspace_without_a_toml_file_has_the_defaults(tmp_path):
    assert load_settings(tmp_path, environ={}) == load_settings(None, environ={})


def test_the_toml_file_overrides_defaults_key_by_key(tmp_path):
    root = write(tmp_path, '[server]\nport = 9000\n\n[http]\nallow = ["10.1.0.0/16"]\n'
                           '[webhooks]\nsecret = "s3cret"\n')
    settings = load_settings(root, environ={})
    assert settings["server"] == {"host": "127.0.0.1", "port": 9000}
    assert settings["http"]["allow"] == ["10.1.0.0/16"]
    assert settings["http"]["timeout_s"] == 10.0
    assert settings["webhooks"] == {"secret": "s3cret"}


def test_loading_twice_does_not_share_mutable_defaults(tmp_path):
    first = load_settings(None, environ={})
    first["http"]["allow"].append("10.0.0.0/8")
    assert load_settings(None, environ={})["http"]["allow"] == []


def test_environment_overrides_the_file_typed_by_the_schema(tmp_path):
    root = write(tmp_path, '[server]\nport = 9000\nhost = "0.0.0.0"\n')
    settings = load_settings(root, environ={
        "CALLWRIGHT_SERVER_PORT": "9100",
        "CALLWRIGHT_HTTP_TIMEOUT_S": "2.5",
        "CALLWRIGHT_HTTP_MAX_RESPONSE_BYTES": "2048",
        "CALLWRIGHT_HTTP_MAX_CONNECTIONS": "50",
        "CALLWRIGHT_HTTP_ALLOW": "127.0.0.0/8, ::1/128,",
        "CALLWRIGHT_SERVER_ALLOWED_ORIGINS": "https://a.example,https://b.example",
        "CALLWRIGHT_WEBHOOKS_SECRET": "from-env",
        "CALLWRIGHT_STORAGE_REDIS_URL": "redis://127.0.0.1:6379/0",
        "CALLWRIGHT_UNKNOWN_THING": "ignored",
        "OTHER": "ignored"})
    assert settings["server"] == {"host": "0.0.0.0", "port": 9100,
                                  "allowed_origins": ["https://a.example", "https://b.example"]}
    assert settings["http"] == {"allow": ["127.0.0.0/8", "::1/128"], "timeout_s": 2.5,
                                "max_response_bytes": 2048, "max_connections": 50}
    assert settings["webhooks"]["secret"] == "from-env"
    assert settings["storage"]["redis_url"] == "redis://127.0.0.1:6379/0"
    assert "unknown" not in settings


def test_an_empty_allow_variable_clears_the_file_allow_list(tmp_path):
    root = write(tmp_path, '[http]\nallow = ["10.0.0.0/8"]\n')
    assert load_settings(root, environ={"CALLWRIGHT_HTTP_ALLOW": ""})["http"]["allow"] == []


def test_the_environment_defaults_to_the_process_environment(monkeypatch):
    monkeypatch.setenv("CALLWRIGHT_SERVER_PORT", "8181")
    assert load_settings(None)["server"]["port"] == 8181


def test_variable_names_follow_section_and_key():
    assert environment_name("http", "max_response_bytes") == "CALLWRIGHT_HTTP_MAX_RESPONSE_BYTES"


def test_a_toml_syntax_error_names_the_file_and_line(tmp_path):
    root = write(tmp_path, '[server]\nport = 9000\nhost = \n')
    with pytest.raises(SettingsError) as caught:
        load_settings(root, environ={})
    assert str(caught.value).startswith(f"{tmp_path / 'callwright.toml'}:3:")
    assert caught.value.code == "invalid_settings"
    assert isinstance(caught.value, EngineError)


def test_a_schema_error_names_the_file_and_key_path(tmp_path):
    root = write(tmp_path, '[server]\nport = 70000\n')
    with pytest.raises(SettingsError) as caught:
        load_settings(root, environ={})
    assert str(caught.value) == (f"{tmp_path / 'callwright.toml'}: /server/port: "
                                 "70000 is greater than the maximum of 65535")


def test_every_schema_problem_is_reported_in_path_order(tmp_path):
    root = write(tmp_path, '[server]\nport = "80"\n[http]\ntimeout_s = 0\n[colour]\nname = "red"\n')
    with pytest.raises(SettingsError) as caught:
        load_settings(root, environ={})
    problems = [p.split(": ", 2)[1] for p in caught.value.problems]
    assert problems == ["Additional properties are not allowed ('colour' was unexpected)",
                        "/http/timeout_s", "/server/port"]


def test_an_allow_entry_that_is_not_a_network_is_refused_with_its_path(tmp_path):
    root = write(tmp_path, '[http]\nallow = ["127.0.0.0/8", "intranet"]\n')
    with pytest.raises(SettingsError, match=r"callwright.toml: /http/allow/1: 'intranet' is not"):
        load_settings(root, environ={})


def test_a_bad_file_is_refused_even_when_the_environment_would_fix_it(tmp_path):
    root = write(tmp_path, '[server]\nport = 0\n')
    with pytest.raises(SettingsError, match="/server/port"):
        load_settings(root, environ={"CALLWRIGHT_SERVER_PORT": "80"})


@pytest.mark.parametrize("name, value, message", [
    ("CALLWRIGHT_SERVER_PORT", "eighty", "CALLWRIGHT_SERVER_PORT: 'eighty' is not an integer"),
    ("CALLWRIGHT_SERVER_PORT", "70000",
     "CALLWRIGHT_SERVER_PORT: 70000 is greater than the maximum of 65535"),
    ("CALLWRIGHT_HTTP_TIMEOUT_S", "soon", "CALLWRIGHT_HTTP_TIMEOUT_S: 'soon' is not a number"),
    ("CALLWRIGHT_HTTP_TIMEOUT_S", "nan", "CALLWRIGHT_HTTP_TIMEOUT_S: 'nan' is not a number"),
    ("CALLWRIGHT_HTTP_TIMEOUT_S", "0",
     "CALLWRIGHT_HTTP_TIMEOUT_S: 0.0 is less than or equal to the minimum of 0"),
    ("CALLWRIGHT_HTTP_ALLOW", "10.0.0.0/8,intranet",
     "CALLWRIGHT_HTTP_ALLOW: 'intranet' is not a CIDR network such as 10.0.0.0/8"),
    ("CALLWRIGHT_SECRETS_PROVIDER", "vault",
     "CALLWRIGHT_SECRETS_PROVIDER: 'vault' is not one of ['env']"),
    ("CALLWRIGHT_SANDBOX_WORKERS", "many", "CALLWRIGHT_SANDBOX_WORKERS: 'many' is not an integer"),
    ("CALLWRIGHT_SANDBOX_WORKERS", "0",
     "CALLWRIGHT_SANDBOX_WORKERS: 0 is less than the minimum of 1"),
    ("CALLWRIGHT_SANDBOX_MAX_QUEUED", "-1",
     "CALLWRIGHT_SANDBOX_MAX_QUEUED: -1 is less than the minimum of 0"),
    ("CALLWRIGHT_SANDBOX_QUEUE_TIMEOUT_S", "-2",
     "CALLWRIGHT_SANDBOX_QUEUE_TIMEOUT_S: -2.0 is less than the minimum of 0"),
])
def test_a_bad_environment_value_names_the_variable(name, value, message):
    with pytest.raises(SettingsError) as caught:
        load_settings(None, environ={name: value})
    assert str(caught.value) == message


def test_a_file_that_is_not_utf8_is_refused_by_name(tmp_path):
    (tmp_path / "callwright.toml").write_bytes(b'[server]\nhost = "\xff"\n')
    with pytest.raises(SettingsError, match="callwright.toml"):
        load_settings(tmp_path, environ={})


def test_the_script_sandbox_is_sized_by_the_file_then_the_environment(tmp_path):
    root = write(tmp_path, "[sandbox]\nworkers = 4\nmax_queued = 10\nqueue_timeout_s = 2.5\n"
                           "cpu_ms = 500\nmemory_mb = 32\n")
    settings = load_settings(root, environ={"CALLWRIGHT_SANDBOX_WORKERS": "6",
                                            "CALLWRIGHT_SANDBOX_QUEUE_TIMEOUT_S": "0.5"})
    assert settings["sandbox"] == {"workers": 6, "max_queued": 10, "queue_timeout_s": 0.5,
                                   "cpu_ms": 500, "memory_mb": 32}


def test_the_script_sandbox_defaults_are_left_to_the_pool():
    # the pool derives them: workers from the CPUs, max_queued from workers (runtime.sandbox)
    assert load_settings(None, environ={})["sandbox"] == {}


def test_a_bad_sandbox_setting_names_its_key(tmp_path):
    root = write(tmp_path, "[sandbox]\nworkers = 0\nmax_queued = -1\nthreads = 3\n")
    with pytest.raises(SettingsError) as caught:
        load_settings(root, environ={})
    problems = [p.split(": ", 2)[1:] for p in caught.value.problems]
    assert problems == [["/sandbox",
                         "Additional properties are not allowed ('threads' was unexpected)"],
                        ["/sandbox/max_queued", "-1 is less than the minimum of 0"],
                        ["/sandbox/workers", "0 is less than the minimum of 1"]]


def test_the_web_chat_origins_come_from_the_file_or_a_comma_separated_variable(tmp_path):
    root = write(tmp_path, '[chat]\norigins = ["https://shop.example"]\nmax_streams = 50\n')
    assert load_settings(root, environ={})["chat"] == {"origins": ["https://shop.example"],
                                                       "max_streams": 50}
    settings = load_settings(root, environ={
        "CALLWRIGHT_CHAT_ORIGINS": "https://a.example, http://127.0.0.1:8000"})
    assert settings["chat"]["origins"] == ["https://a.example", "http://127.0.0.1:8000"]


def test_a_web_chat_origin_that_is_no_origin_is_refused_naming_the_variable(tmp_path):
    with pytest.raises(SettingsError, match="CALLWRIGHT_CHAT_ORIGINS"):
        load_settings(tmp_path, environ={"CALLWRIGHT_CHAT_ORIGINS": "shop.example/path"})
    root = write(tmp_path, '[chat]\norigins = ["https://shop.example/"]\n')
    with pytest.raises(SettingsError, match="chat"):
        load_settings(root, environ={})
