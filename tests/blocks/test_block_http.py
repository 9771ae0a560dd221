"""The `http` block: one request through ctx.http; success, failure, timeout or error."""

import pytest
from jsonschema import Draft7Validator

from blocks.builtin.http_request import HttpBlock
from blocks.registry import Registry
from blocks.sdk import BlockError, HttpRequest, HttpResponse
from blocks.sdk.testing import run_block

VALIDATOR = Draft7Validator(HttpBlock.manifest["config_schema"])


def answer(status: int, body=None, headers=None):
    """Return an `http=` function that answers every request with one response."""
    headers = headers or {"content-type": "application/json"}
    return lambda request: HttpResponse(status, headers, body)


def raising(exc: Exception):
    """Return an `http=` function that raises `exc`."""
    def send(request: HttpRequest) -> HttpResponse:
        raise exc
    return send


def test_2xx_takes_success_and_stores_status_headers_and_body():
    result = run_block(HttpBlock, {"url": "https://crm.example/accounts/1", "variable": "vars.crm"},
                       http=answer(200, {"tier": "gold"}))
    assert result.exit == "success"
    assert result.vars["crm"] == {"status": 200, "headers": {"content-type": "application/json"},
                                  "body": {"tier": "gold"}}


def test_any_2xx_status_is_success():
    result = run_block(HttpBlock, {"url": "https://crm.example/", "method": "DELETE"},
                       http=answer(204, ""))
    assert result.exit == "success"


@pytest.mark.parametrize("status", [301, 404, 500])
def test_other_statuses_take_failure_and_still_store_the_response(status):
    result = run_block(HttpBlock, {"url": "https://crm.example/", "variable": "vars.r"},
                       http=answer(status, {"error": "nope"}))
    assert result.exit == "failure"
    assert result.vars["r"]["status"] == status
    assert result.vars["r"]["body"] == {"error": "nope"}


def test_timeout_takes_the_timeout_exit_and_leaves_the_variable_unset():
    result = run_block(HttpBlock, {"url": "https://slow.example/", "variable": "vars.r"},
                       http=raising(TimeoutError("no answer within 2 s")))
    assert result.exit == "timeout"
    assert "r" not in result.vars


def test_an_unreachable_or_refused_target_takes_the_error_exit_with_the_message():
    message = "refused: 127.0.0.1 is a loopback address; allow it with CALLWRIGHT_HTTP_ALLOW"
    result = run_block(HttpBlock, {"url": "http://127.0.0.1/"}, http=raising(BlockError(message)))
    assert result.exit == "error"
    assert result.error == message


def test_the_request_carries_rendered_templates_in_url_headers_query_and_json():
    config = {"method": "POST", "url": "https://crm.example/accounts/{{ vars.account }}",
              "headers": {"X-Caller": "{{ contact.from }}", "Authorization": {"$secret": "CRM"}},
              "query": {"lang": "{{ contact.language }}", "limit": 5},
              "json": {"account": "{{ vars.account }}", "tags": ["ivr", "{{ vars.tier }}"]},
              "timeout_s": 2.5}
    result = run_block(HttpBlock, config, http=answer(201, {}),
                       vars={"account": "12345678", "tier": "gold"},
                       contact={"from": "+4930111", "language": "de"}, secrets={"CRM": "Bearer t"})
    assert result.exit == "success"
    [request] = result.requests
    assert request.method == "POST"
    assert request.url == "https://crm.example/accounts/12345678"
    assert request.headers == {"X-Caller": "+4930111", "Authorization": "Bearer t"}
    assert request.query == {"lang": "de", "limit": 5}
    assert request.json == {"account": "12345678", "tags": ["ivr", "gold"]}
    assert request.body is None
    assert request.timeout_s == 2.5


def test_defaults_are_get_with_a_ten_second_timeout_and_no_body():
    result = run_block(HttpBlock, {"url": "https://crm.example/"}, http=answer(200, "ok"))
    [request] = result.requests
    assert (request.method, request.timeout_s) == ("GET", 10.0)
    assert (request.json, request.body) == (None, None)


def test_a_text_body_is_sent_as_given():
    result = run_block(HttpBlock, {"method": "PUT", "url": "https://x.example/",
                                   "body": "caller={{ vars.n }}"}, vars={"n": 7},
                       http=answer(200, ""))
    assert result.requests[0].body == "caller=7"


def test_store_into_contact_attributes():
    result = run_block(HttpBlock, {"url": "https://x.example/", "variable": "contact.crm"},
                       http=answer(200, {"id": 1}))
    assert result.contact["crm"]["body"] == {"id": 1}


def test_schema_accepts_a_full_config():
    config = {"method": "PATCH", "url": "https://x.example/{{ vars.id }}",
              "headers": {"Authorization": {"$secret": "TOKEN"}}, "query": {"a": "1", "b": 2},
              "json": [1, {"a": None}], "timeout_s": 0.1, "variable": "vars.result"}
    assert list(VALIDATOR.iter_errors(config)) == []


def test_schema_rejects_json_and_body_together():
    errors = list(VALIDATOR.iter_errors({"url": "https://x.example/", "json": {}, "body": "x"}))
    assert [e.validator for e in errors] == ["not"]


@pytest.mark.parametrize("config, pointer", [
    ({"url": "https://x.example/", "method": "FETCH"}, "$.method"),
    ({"url": "https://x.example/", "method": "get"}, "$.method"),
    ({}, "$"),
    ({"url": ""}, "$.url"),
    ({"url": "https://x.example/", "timeout_s": 0}, "$.timeout_s"),
    ({"url": "https://x.example/", "timeout_s": 121}, "$.timeout_s"),
    ({"url": "https://x.example/", "variable": "result"}, "$.variable"),
    ({"url": "https://x.example/", "headers": {"Bad Name": "x"}}, "$.headers"),
    ({"url": "https://x.example/", "headers": {"X-A": 1}}, "$.headers['X-A']"),
    ({"url": "https://x.example/", "colour": "red"}, "$"),
])
def test_schema_rejects_bad_configs_at_the_field(config, pointer):
    errors = list(VALIDATOR.iter_errors(config))
    assert errors, config
    assert pointer in [e.json_path for e in errors]


def test_check_reports_a_literal_url_that_is_not_http():
    assert HttpBlock.check({"url": "ftp://files.example/a"}) == [
        ("/url", "'ftp://files.example/a' is not an http:// or https:// URL")]
    assert HttpBlock.check({"url": "{{ vars.base }}/a"}) == []
    assert HttpBlock.check({"url": "HTTPS://x.example/"}) == []


def test_the_manifest_registers_with_its_exits_and_capability():
    registry = Registry()
    block_type = registry.register(HttpBlock)
    assert registry.broken == []
    assert block_type.type == "http"
    assert block_type.manifest["category"] == "Integration"
    assert block_type.manifest["capabilities"] == ["network"]
    assert HttpBlock.exits_for({"url": "https://x.example/"}) == ["success", "failure", "timeout",
                                                                 "error"]
