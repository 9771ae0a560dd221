"""Request bodies: read whole within the route's limit whatever the framing, then read as JSON.

Every route that takes a JSON body (chat over WSGI and ASGI, the webhook, executions, campaigns,
flow validation) refuses what it could not hold with a 4xx naming the place, and runs nothing.
"""

from __future__ import annotations

import asyncio
import io
import json
import math
from dataclasses import dataclass, field

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from builder.api.body import (MAX_DEPTH, ClientDisconnected, check_readable, parse_body,
                              read_body, receive_body)
from builder.errors import ApiError, BadRequest, error_body
from runtime.messaging.signing import sign

# --- parse_body: what is read, and what is refused where -------------------------------------


@pytest.mark.parametrize("data, expected", [
    (b'{"text": "hello", "n": 1.5}', {"text": "hello", "n": 1.5}),
    (b'{"big": 1180591620717411303425}', {"big": 2 ** 70 + 1}),  # past 64 bits, exact
    (b'[18446744073709551616, -9223372036854775809]', [2 ** 64, -2 ** 63 - 1]),
    (b'[18446744073709551615, -9223372036854775808]', [2 ** 64 - 1, -2 ** 63]),
    ('{"text": "caf\u00e9"}'.encode("utf-16"), {"text": "caf\u00e9"}),  # json detects UTF-16
    (b'{"text": "\\ud83d\\ude00"}', {"text": "\U0001F600"}),  # a whole surrogate pair
    (b'{"text": "Re: at 10:30 [a] {b}", "session": "s:1"}',
     {"text": "Re: at 10:30 [a] {b}", "session": "s:1"}),  # colons and brackets in text
    (b'{"a:b": "c", "d": 1}', {"a:b": "c", "d": 1}),
    (b'{"n": ' + b"9" * 4300 + b"}", {"n": 10 ** 4300 - 1}),  # as many digits as are read
    (b'"hi"', "hi"),
    (b"1e308", 1e308),
])
def test_a_body_is_read_as_json_reads_it(data: bytes, expected) -> None:
    assert parse_body(data) == expected


def test_nesting_up_to_the_limit_is_read_and_one_level_more_is_not() -> None:
    def nested(levels: int) -> bytes:
        return b'{"v": ' + b"[" * (levels - 1) + b"]" * (levels - 1) + b"}"
    assert parse_body(nested(MAX_DEPTH))["v"]
    with pytest.raises(BadRequest, match=f"nests more than {MAX_DEPTH} levels deep"):
        parse_body(nested(MAX_DEPTH + 1))


DEEP = b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1)


@pytest.mark.parametrize("data, pointer, words", [
    (b'{"text": "\\ud800"}', "/text", "lone surrogate \\ud800 at character 1"),
    (b'{"text": "ab\\uDFFF"}', "/text", "lone surrogate \\udfff at character 3"),
    (b'{"text": "\\ude00\\ud83d"}', "/text", "lone surrogate \\ude00"),  # a pair the wrong way
    (b'{"vars": {"a": ["x", {"b": "\\udbff"}]}}', "/vars/a/1/b", "lone surrogate \\udbff"),
    (b'{"text": "hi", "\\udc00": 1}', "", "has a key '\\udc00' holding a lone surrogate"),
    (b'{"vars": {"a\\ud800b": 1}}', "/vars", "has a key 'a\\ud800b'"),
    (b'{"text": "\xed\xa0\x80"}', "/text", "lone surrogate \\ud800"),  # as bytes: json reads it
    ('{"text": "\ud800"}'.encode("utf-16-le", "surrogatepass"), "/text", "lone surrogate"),
    (b'{"session": ' + b"1" * 5000 + b', "text": "hi"}', "/session",
     "is an integer of 5000 digits; at most 4300 are read"),
    (b'{"vars": {"n": [-' + b"7" * 4301 + b"]}}", "/vars/n/0", "integer of 4301 digits"),
    (b'{"x": NaN}', "/x", "is NaN, which is not JSON"),
    (b'{"x": [Infinity]}', "/x/0", "is Infinity"),
    (b'{"x": -Infinity}', "/x", "is -Infinity"),
    (b'{"x": 1e400}', "/x", "past the largest a double holds"),
    (b'{"x": -1.5e999}', "/x", "past the largest"),
    (b'{"text": "a", "text": "b"}', "/text", "came more than once"),
    (b'{"text": "a", "\\u0074ext": "b"}', "/text", "came more than once"),  # spelt otherwise
    (b'{"text": "x:", "text": "y"}', "/text", "came more than once"),  # a colon in the text
    (b'{"v": {"a/b": 1, "a/b": 2}}', "/v/a~1b", "came more than once"),
    (DEEP, "/0" * MAX_DEPTH, f"nests more than {MAX_DEPTH} levels deep"),
    (b'{"vars": ' + DEEP + b"}", "/vars" + "/0" * (MAX_DEPTH - 1), "nests more than"),
    (b"[" * 100000 + b"]" * 100000, "", "nests more than"),  # past what json itself reads
])
def test_what_a_body_may_not_hold_is_a_400_naming_where(data: bytes, pointer: str,
                                                          words: str) -> None:
    with pytest.raises(BadRequest) as caught:
        parse_body(data)
    first = caught.value.details[0]
    assert first["pointer"] == pointer
    assert words in first["message"]
    # the answer can be sent: no surrogate of the body reaches the envelope
    error_body(caught.value.code, caught.value.message, caught.value.details).decode("utf-8")


def test_every_refused_value_is_named_not_only_the_first() -> None:
    with pytest.raises(BadRequest) as caught:
        parse_body(b'{"a": NaN, "b": "\\ud800", "c": ' + b"1" * 4400 + b', "a": 1}')
    assert [d["pointer"] for d in caught.value.details] == ["/a", "/b", "/c"]  # NaN was replaced


def test_malformed_json_names_line_and_column() -> None:
    with pytest.raises(BadRequest, match=r"line 2, column 8") as caught:
        parse_body(b'{"text":\n  "hi",}')
    assert caught.value.details[0]["line"] == 2


def test_bytes_that_are_not_utf8_are_named_as_such() -> None:
    with pytest.raises(BadRequest, match="not UTF-8 text"):
        parse_body(b'{"text": "\xff"}')


def test_a_document_checked_elsewhere_is_refused_only_for_what_it_cannot_hold() -> None:
    check_readable('{"a": NaN, "a": 1, "b": "\\ud83d\\ude00"}')  # the validation's to report
    check_readable('{"a": ' + "1" * 4300 + "}")
    check_readable('{"a": "\\\\ud800"}')  # an escaped backslash, then text
    with pytest.raises(BadRequest) as caught:
        check_readable('{"blocks": {"x": {"config": {"text": "\\ud800", "n": ' + "2" * 4301
                       + "}}}}")
    assert [d["pointer"] for d in caught.value.details] == ["/blocks/x/config/text",
                                                            "/blocks/x/config/n"]


# --- read_body and receive_body: the whole body, whatever the framing -------------------------

class Trickle(io.RawIOBase):
    """A stream that hands out at most `step` bytes a read, as a dechunking input does."""

    def __init__(self, data: bytes, step: int = 3) -> None:
        self.data, self.step = data, step

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        piece, self.data = self.data[:min(self.step, size)], self.data[min(self.step, size):]
        return piece


class Untouchable(io.RawIOBase):
    """A stream that fails the test if read: the body is refused before it is read."""

    def read(self, size: int = -1) -> bytes:
        raise AssertionError("the body was read")


def environ_of(stream, length: str | None = None, terminated: bool = False) -> dict:
    """Return a WSGI environ of a body stream, with a Content-Length or an input that ends."""
    environ = {"wsgi.input": stream}
    if length is not None:
        environ["CONTENT_LENGTH"] = length
    if terminated:
        environ["wsgi.input_terminated"] = True
    return environ


@pytest.mark.parametrize("terminated", [False, True])
def test_a_body_is_read_whole_however_it_trickles_in(terminated: bool) -> None:
    data = b'{"text": "hello"}' * 10
    assert read_body(environ_of(Trickle(data), str(len(data)), terminated), 1000) == data
    assert read_body(environ_of(Trickle(data), terminated=True), 1000) == data


def test_without_a_length_or_an_input_that_ends_there_is_no_body() -> None:
    assert read_body(environ_of(Untouchable()), 1000) == b""


@pytest.mark.parametrize("length", ["1001", "9" * 5000, "0" * 30 + "1001"])
def test_a_content_length_over_the_limit_is_a_413_before_reading(length: str) -> None:
    with pytest.raises(ApiError) as caught:
        read_body(environ_of(Untouchable(), length), 1000)
    assert (caught.value.status, caught.value.code) == (413, "request_entity_too_large")


@pytest.mark.parametrize("length", [None, "10", "1000"], ids=["chunked", "lying", "at-limit"])
def test_a_body_over_the_limit_is_a_413_whatever_its_framing(length: str | None) -> None:
    stream = io.BytesIO(b"x" * 3_000_000)
    with pytest.raises(ApiError) as caught:
        read_body(environ_of(stream, length, terminated=True), 1000)
    assert (caught.value.status, caught.value.code) == (413, "request_entity_too_large")
    assert stream.tell() == 1001  # read no further than it takes to know


def test_a_chunked_body_over_the_limit_is_a_413_however_it_trickles_in() -> None:
    with pytest.raises(ApiError) as caught:
        read_body(environ_of(Trickle(b"x" * 1001, 100), terminated=True), 1000)
    assert caught.value.status == 413


@pytest.mark.parametrize("environ, words", [
    (environ_of(io.BytesIO(b'{"text": "hi"}'), "500"), "ended after 14 bytes"),
    (environ_of(io.BytesIO(b'{"text": "hi"}'), "500", terminated=True), "ended after 14"),
    (environ_of(io.BytesIO(b'{"text": "hi"} trailing'), "14", terminated=True), "ran on to"),
], ids=["cut-short", "cut-short-terminated", "runs-on"])
def test_a_body_unlike_its_content_length_is_a_400_and_not_judged(environ: dict,
                                                                   words: str) -> None:
    with pytest.raises(BadRequest, match=words) as caught:
        read_body(environ, 1000)
    assert caught.value.details[0]["pointer"] == ""


def receive_of(*messages: dict):
    """Return an ASGI receive() handing out these messages; it fails when asked for more."""
    pending = list(messages)

    async def receive() -> dict:
        assert pending, "read past the refusal"
        return pending.pop(0)
    return receive


def test_an_asgi_body_is_refused_as_soon_as_it_passes_the_limit() -> None:
    receive = receive_of(*[{"type": "http.request", "body": b"x" * 400, "more_body": True}] * 3)
    with pytest.raises(ApiError) as caught:  # the third piece passes 1000: no fourth is asked
        asyncio.run(receive_body(receive, None, 1000))
    assert caught.value.status == 413


def test_an_asgi_body_cut_short_is_a_400_and_a_client_gone_is_no_answer() -> None:
    short = receive_of({"type": "http.request", "body": b"{}"})
    with pytest.raises(BadRequest, match="ended after 2 bytes where its Content-Length"):
        asyncio.run(receive_body(short, "20", 1000))
    gone = receive_of({"type": "http.request", "body": b"{", "more_body": True},
                      {"type": "http.disconnect"})
    with pytest.raises(ClientDisconnected):
        asyncio.run(receive_body(gone, None, 1000))


# --- through every route that takes a JSON body, by both front doors --------------------------

TOKEN = "body-token-0123456789abcdef"
SECRET = "body-secret-0123456789"
FLOW = {"schema": "callwright/flow@1", "id": "hello", "start": "ask",
        "blocks": {"ask": {"type": "menu",
                           "config": {"prompt": "Say 1.",
                                      "options": [{"key": "1", "label": "One", "exit": "one"}]},
                           "exits": {"one": "bye"}},
                   "bye": {"type": "end", "config": {"text": "Bye."}}}}
SMALL, LARGE = 64 * 1024, 4 * 1024 * 1024


@dataclass
class Route:
    """A route taking a JSON body: its URL, limit, a body it takes and what it answers that."""

    url: str
    limit: int
    valid: dict
    accepted: int
    string: str  # the pointer of a string field of `valid`
    object: str  # the pointer of an object of `valid` that may hold any key
    number: str  # the pointer where a number may stand
    headers: dict = field(default_factory=dict)
    signed: bool = False


ROUTES = {
    "chat": Route("/api/v1/chat/hello/messages", SMALL, {"text": "hi"}, 200,
                  "/text", "", "/session"),
    "webhook": Route("/api/v1/channels/webhook", SMALL,
                     {"from": "visitor-7", "to": "support", "text": "hi"}, 200,
                     "/text", "", "/id", signed=True),
    "executions": Route("/api/v1/flows/hello/executions", SMALL,
                        {"channel": "chat", "to": "visitor-7", "vars": {"order": "A-1"}}, 202,
                        "/vars/order", "/vars", "/vars/count",
                        headers={"Authorization": f"Bearer {TOKEN}"}),
    "campaigns": Route("/api/v1/campaigns", LARGE,
                       {"flow": "hello", "channel": "chat", "concurrency": 1,
                        "contacts": [{"to": "visitor-7", "vars": {"order": "A-1"}}]}, 202,
                       "/contacts/0/vars/order", "/contacts/0/vars", "/concurrency",
                       headers={"Authorization": f"Bearer {TOKEN}"}),
    "validate": Route("/api/v1/flows/hello/validate", LARGE, FLOW, 200,
                      "/blocks/ask/config/prompt", "/blocks/ask/config",
                      "/blocks/ask/config/timeout_s"),
}
API_ROUTES = [name for name in ROUTES if name != "validate"]  # validation reports the rest


@pytest.fixture
def app(thread_loops, workspace_app, gateway):
    """Return an app whose every JSON route is open: API tokens, a webhook secret and URL."""
    toml = (f'[api]\ntokens = ["{TOKEN}"]\n[webhooks]\nsecret = "{SECRET}"\n'
            f'url = "{gateway.url}"\n[tasks]\nimmediate = true\n'
            '[http]\nallow = ["127.0.0.0/8"]\n')
    return workspace_app(FLOW, routes={"schema": "callwright/routes@1",
                                       "webhook": {"support": "hello"}}, toml=toml)


def with_raw(route: Route, pointer: str, raw: bytes) -> bytes:
    """Return the route's valid body with the JSON text `raw` put at `pointer`.

    A pointer ending in `/@` puts `raw` as a key (with the value 1) in the object before it.
    """
    doc = json.loads(json.dumps(route.valid))
    *parents, last = pointer.split("/")[1:]
    target = doc
    for name in parents:
        target = target[int(name)] if isinstance(target, list) else target[name]
    if last == "@":
        target["@@key@@"] = 1
        return json.dumps(doc).encode().replace(b'"@@key@@"', raw)
    target[last] = "@@value@@"
    return json.dumps(doc).encode().replace(b'"@@value@@"', raw)


def post(client, route: Route, data: bytes, *, chunked: bool = False,
         length: str | None = None, headers: dict | None = None):
    """POST raw bytes to a route as sent: signed if it must be, chunked or with a given length."""
    sent = dict(route.headers)
    if route.signed:
        sent["X-Callwright-Signature"] = sign(SECRET, data)
    sent.update(headers or {})
    environ = EnvironBuilder(path=route.url, method="POST", data=data, headers=sent,
                             content_type="application/json").get_environ()
    if chunked:
        del environ["CONTENT_LENGTH"]
        environ["wsgi.input_terminated"] = True  # as a server hands over a chunked body
    if length is not None:
        environ["CONTENT_LENGTH"] = length
    return client.open(Request(environ))


def nothing_ran(app, gateway) -> bool:
    """Return whether no session was saved and no message sent."""
    runtime = app.extensions["callwright.runtime"]
    return runtime.sessions.expire(before=math.inf) == 0 and gateway.requests == []


def error_of(response) -> dict:
    """Return the error object of an error envelope, checking the envelope's shape."""
    body = response.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    return body["error"]


@pytest.mark.parametrize("name", ROUTES)
def test_each_route_takes_its_valid_body_through_each_front_door(app, front_door, name) -> None:
    route = ROUTES[name]
    response = post(front_door(app), route, json.dumps(route.valid).encode())
    assert response.status_code == route.accepted, response.data


@pytest.mark.parametrize("where", ["string", "key"])
@pytest.mark.parametrize("name", ROUTES)
def test_a_lone_surrogate_is_a_400_naming_its_place_and_runs_nothing(app, gateway, front_door,
                                                                     name, where) -> None:
    route = ROUTES[name]
    if where == "string":
        data, pointer = with_raw(route, route.string, b'"\\ud800"'), route.string
    else:
        data, pointer = with_raw(route, route.object + "/@", b'"\\udfff"'), route.object
    response = post(front_door(app), route, data)
    assert response.status_code == 400
    error = error_of(response)
    assert (error["code"], error["details"][0]["pointer"]) == ("bad_request", pointer)
    assert "lone surrogate" in error["details"][0]["message"]
    assert nothing_ran(app, gateway)


@pytest.mark.parametrize("name", ROUTES)
def test_an_integer_of_thousands_of_digits_is_a_400_naming_its_place(app, gateway, front_door,
                                                                     name) -> None:
    route = ROUTES[name]
    response = post(front_door(app), route, with_raw(route, route.number, b"1" * 5000))
    assert response.status_code == 400
    [detail] = error_of(response)["details"]
    assert detail == {"pointer": route.number,
                      "message": "is an integer of 5000 digits; at most 4300 are read"}
    assert nothing_ran(app, gateway)


@pytest.mark.parametrize("raw", [b"NaN", b"Infinity", b"-Infinity", b"1e999",
                                 b"[" * MAX_DEPTH + b"]" * MAX_DEPTH],
                         ids=["nan", "infinity", "-infinity", "1e999", "deep"])
@pytest.mark.parametrize("name", API_ROUTES)
def test_what_json_has_not_is_a_400_naming_its_place(app, gateway, front_door, name,
                                                     raw: bytes) -> None:
    route = ROUTES[name]
    response = post(front_door(app), route, with_raw(route, route.number, raw))
    assert response.status_code == 400
    assert error_of(response)["details"][0]["pointer"].startswith(route.number)
    assert nothing_ran(app, gateway)


@pytest.mark.parametrize("name", API_ROUTES)
def test_a_key_sent_twice_is_a_400_naming_it(app, gateway, front_door, name) -> None:
    route = ROUTES[name]
    data = json.dumps(route.valid).encode()
    key = next(iter(route.valid))
    data = data[:-1] + f', "{key}": {json.dumps(route.valid[key])}}}'.encode()
    response = post(front_door(app), route, data)
    assert response.status_code == 400
    assert error_of(response)["details"][0]["pointer"] == "/" + key
    assert nothing_ran(app, gateway)


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
@pytest.mark.parametrize("name", ROUTES)
def test_a_body_over_the_route_s_limit_is_a_413_whatever_its_framing(app, gateway, front_door,
                                                                      name, chunked) -> None:
    route = ROUTES[name]
    valid = json.dumps(route.valid).encode()
    data = b" " * (route.limit + 1 - len(valid)) + valid  # valid JSON, one byte too many
    response = post(front_door(app), route, data, chunked=chunked)
    assert response.status_code == 413
    assert error_of(response)["code"] == "request_entity_too_large"
    assert nothing_ran(app, gateway)


@pytest.mark.parametrize("name", ROUTES)
def test_a_chunked_body_just_within_the_limit_is_read_whole(app, front_door, name) -> None:
    route = ROUTES[name]
    valid = json.dumps(route.valid).encode()
    data = b" " * (route.limit - len(valid)) + valid  # cut anywhere, it would not be JSON
    response = post(front_door(app), route, data, chunked=True)
    assert response.status_code == route.accepted, response.data


@pytest.mark.parametrize("length", ["10", "100000000", "9" * 5000, "x"],
                         ids=["shorter", "longer-than-the-limit", "5000-digits", "no-number"])
@pytest.mark.parametrize("name", ROUTES)
def test_a_content_length_that_lies_is_refused_and_nothing_is_judged(app, gateway, front_door,
                                                                     name, length) -> None:
    route = ROUTES[name]
    # an input that ends (as servers give a chunked body) shows a body longer than announced
    response = post(front_door(app), route, json.dumps(route.valid).encode(), chunked=True,
                    length=length)
    assert response.status_code == (413 if length.isdigit() and len(length) > 5 else 400)
    assert nothing_ran(app, gateway)


@pytest.mark.parametrize("name", ROUTES)
def test_a_body_shorter_than_its_content_length_is_not_judged_in_part(app, gateway, front_door,
                                                                      name) -> None:
    route = ROUTES[name]
    data = json.dumps(route.valid).encode()
    response = post(front_door(app), route, data, length=str(len(data) + 100))
    assert response.status_code == 400
    assert "Content-Length" in error_of(response)["message"]
    assert nothing_ran(app, gateway)


MAC = "0" * 64


@pytest.mark.parametrize("header, words", [
    (f"t={'1' * 5000},v1={MAC}", "t has 5000 digits"),
    (f"t=-1700000000,v1={MAC}", "t must be whole unix seconds"),
    (f"t=1700000000,v1={'a' * 20000}", "v1 must be 64 lower-case hex digits, not 20000"),
    (",".join(["t=1700000000"] + [f"v1={MAC}"] * 500), "it has 501 parts"),
    ("t=\u0661\u0662,v1=".encode().decode("latin-1") + MAC, "t must be whole unix seconds"),
    ("t=1700000000,v1=\u00e9".encode().decode("latin-1") + MAC[2:], "64 lower-case hex"),
], ids=["t-5000-digits", "t-negative", "v1-huge", "many-parts", "t-non-ascii",
        "v1-non-ascii"])
def test_an_absurd_signature_is_a_401_naming_what_is_wrong(app, gateway, front_door, header,
                                                           words) -> None:
    route = ROUTES["webhook"]
    response = post(front_door(app), route, json.dumps(route.valid).encode(),
                    headers={"X-Callwright-Signature": header})
    assert response.status_code == 401
    error = error_of(response)
    assert error["code"] == "bad_signature" and words in error["message"]
    assert nothing_ran(app, gateway)
