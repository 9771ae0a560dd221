"""Outbound HTTP from flows against real local servers: answers, limits, redirects, policy."""

import asyncio
import ipaddress
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from blocks.sdk import BlockError, ConfigurationError, HttpRequest
from runtime.http.client import OutboundHttp

LOOPBACK = {"http": {"allow": ["127.0.0.0/8"]}}


class Handler(BaseHTTPRequestHandler):
    """Answers by path: /echo, /status/N, /slow, /big, /redirect, /cookie, /text."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):
        """Keep test output quiet."""

    def do_GET(self):
        """Record the request and answer it by the route its path names."""
        self.server.seen.append((self.command, self.path, dict(self.headers)))
        url = urlsplit(self.path)
        params = {k: v[0] for k, v in parse_qs(url.query).items()}
        route = getattr(self, "route_" + url.path.strip("/").split("/")[0], self.route_echo)
        route(url.path, params)

    do_POST = do_PUT = do_HEAD = do_DELETE = do_GET

    def reply(self, status, body: bytes, content_type="application/json", extra=(), length=True):
        """Send a response; without `length` the body runs until the connection closes."""
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        for name, value in extra:
            self.send_header(name, value)
        if length:
            self.send_header("Content-Length", str(len(body)))
        else:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def route_echo(self, path, params):
        """Answer with the request as JSON: method, path, body, headers, server address."""
        size = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(size).decode() if size else None
        self.reply(200, json.dumps({"method": self.command, "path": self.path, "body": body,
                                    "headers": {k.lower(): v for k, v in self.headers.items()},
                                    "server": self.server.server_address[0]}).encode())

    def route_status(self, path, params):
        """Answer /status/N with status N and a text body."""
        self.reply(int(path.rsplit("/", 1)[1]), b"no such account", "text/plain; charset=utf-8")

    def route_text(self, path, params):
        """Answer with Latin-1 text that says so in its content type."""
        self.reply(200, "Grüße".encode("latin-1"), "text/plain; charset=iso-8859-1")

    def route_problem(self, path, params):
        """Answer with an application/problem+json body."""
        self.reply(422, b'{"title": "bad"}', "application/problem+json")

    def route_slow(self, path, params):
        """Answer after `s` seconds, or as soon as the server stops."""
        self.server.stopping.wait(float(params.get("s", "5")))
        try:
            self.reply(200, b"{}")
        except OSError:
            pass  # the client gave up, as the test expects

    def route_big(self, path, params):
        """Answer with `n` bytes, with a Content-Length unless `stream` is given."""
        self.reply(200, b"x" * int(params["n"]), "text/plain", length="stream" not in params)

    def route_redirect(self, path, params):
        """Redirect to `to` with `status` (302 unless given)."""
        status = int(params.get("status", "302"))
        self.reply(status, b"", "text/plain", extra=[("Location", params["to"])])

    def route_loop(self, path, params):
        """Redirect to itself forever."""
        hop = int(params.get("hop", "0"))
        self.reply(302, b"", "text/plain", extra=[("Location", f"/loop?hop={hop + 1}")])

    def route_cookie(self, path, params):
        """Answer with a Set-Cookie header."""
        self.reply(200, b"{}", extra=[("Set-Cookie", "session=abc; Path=/")])


def start_server(host: str = "127.0.0.1"):
    """Start a threaded HTTP server on a free port of `host`; return it and its base URL."""
    server = ThreadingHTTPServer((host, 0), Handler)
    server.seen, server.stopping = [], threading.Event()
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                     daemon=True).start()
    return server, f"http://{host}:{server.server_address[1]}"


def stop_server(server) -> None:
    """Wake slow handlers, stop serving and close the socket."""
    server.stopping.set()
    server.shutdown()
    server.server_close()


@pytest.fixture
def server():
    """A server on 127.0.0.1 with its base URL in `.base`."""
    server, base = start_server()
    server.base = base
    yield server
    stop_server(server)


@pytest.fixture
def other_server():
    """A second server on another loopback address: another host for redirects."""
    server, base = start_server("127.0.0.2")  # all of 127.0.0.0/8 is loopback on Linux
    server.base = base
    yield server
    stop_server(server)


def send(request: HttpRequest, settings: dict = LOOPBACK, **options):
    """Send one request through a fresh OutboundHttp and close it."""
    async def go():
        async with OutboundHttp(settings, **options) as outbound:
            return await outbound.send(request)
    return asyncio.run(go())


def test_a_json_answer_is_parsed_with_lower_cased_headers(server):
    response = send(HttpRequest("GET", server.base + "/echo?a=1", query={"b": 2, "ok": True}))
    assert response.status == 200
    assert response.headers["content-type"] == "application/json"
    assert all(name == name.lower() for name in response.headers)
    assert response.body["method"] == "GET"
    assert response.body["path"] == "/echo?a=1&b=2&ok=true"
    assert response.body["headers"]["host"] == server.base.removeprefix("http://")


def test_json_and_text_bodies_are_sent_with_their_content_types(server):
    posted = send(HttpRequest("POST", server.base + "/echo", json={"n": [1, "two"]})).body
    assert json.loads(posted["body"]) == {"n": [1, "two"]}
    assert posted["headers"]["content-type"] == "application/json"
    put = send(HttpRequest("PUT", server.base + "/echo", body="a=1",
                           headers={"Content-Type": "application/x-www-form-urlencoded"})).body
    assert put["body"] == "a=1"
    assert put["headers"]["content-type"] == "application/x-www-form-urlencoded"


def test_a_non_2xx_status_is_an_answer_not_an_error(server):
    response = send(HttpRequest("GET", server.base + "/status/404"))
    assert (response.status, response.body) == (404, "no such account")


def test_plus_json_media_types_are_parsed_and_other_bodies_decoded_by_charset(server):
    assert send(HttpRequest("GET", server.base + "/problem")).body == {"title": "bad"}
    assert send(HttpRequest("GET", server.base + "/text")).body == "Grüße"


def test_head_answers_have_an_empty_body(server):
    response = send(HttpRequest("HEAD", server.base + "/echo"))
    assert (response.status, response.body) == (200, "")


def test_a_slow_server_raises_timeout_error_within_bounds(server):
    started = time.monotonic()
    with pytest.raises(TimeoutError, match="127.0.0.1: no answer within 0.3 s"):
        send(HttpRequest("GET", server.base + "/slow?s=5", timeout_s=0.3))
    assert 0.25 < time.monotonic() - started < 2.0


def test_the_deadline_covers_the_whole_redirect_chain(server):
    target = "/redirect?to=/slow%3Fs%3D0.2&status=302"
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        send(HttpRequest("GET", server.base + target, timeout_s=0.1))
    assert time.monotonic() - started < 1.5


def test_a_closed_port_is_a_block_error_naming_host_and_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(BlockError, match=f"cannot connect to 127.0.0.1 port {port}"):
        send(HttpRequest("GET", f"http://127.0.0.1:{port}/"))


def test_https_to_a_server_that_does_not_speak_tls_is_a_block_error(server):
    with pytest.raises(BlockError, match="127.0.0.1"):
        send(HttpRequest("GET", server.base.replace("http://", "https://") + "/echo"))


@pytest.mark.parametrize("url", ["ftp://example.com/", "/relative", "http://", "not a url"])
def test_urls_that_are_not_absolute_http_are_block_errors(url):
    with pytest.raises(BlockError, match="invalid URL"):
        send(HttpRequest("GET", url))


def test_the_response_size_is_capped_whether_declared_or_streamed(server):
    small = {"http": {"allow": ["127.0.0.0/8"], "max_response_bytes": 1000}}
    assert len(send(HttpRequest("GET", server.base + "/big?n=1000"), small).body) == 1000
    for path in ("/big?n=5000", "/big?n=200000&stream=1"):
        with pytest.raises(BlockError, match="response larger than 1000 bytes"):
            send(HttpRequest("GET", server.base + path), small)


def test_redirects_are_followed_and_303_turns_a_post_into_a_get(server):
    url = server.base + "/redirect?to=/echo&status=303"
    response = send(HttpRequest("POST", url, json={"a": 1}))
    assert (response.body["method"], response.body["body"]) == ("GET", None)
    assert "content-type" not in response.body["headers"]


def test_a_307_redirect_repeats_the_method_and_body(server):
    response = send(HttpRequest("POST", server.base + "/redirect?to=/echo&status=307", body="hi"))
    assert (response.body["method"], response.body["body"]) == ("POST", "hi")


def test_more_than_five_redirects_is_a_block_error(server):
    with pytest.raises(BlockError, match="too many redirects"):
        send(HttpRequest("GET", server.base + "/loop"))
    assert len(server.seen) == 6  # the request and five redirects, no more


def test_a_redirect_to_a_disallowed_address_is_refused_before_connecting(server):
    url = server.base + "/redirect?to=http://169.254.169.254/latest/meta-data/"
    with pytest.raises(BlockError, match="refused: 169.254.169.254 is a link-local address"):
        send(HttpRequest("GET", url))


def test_a_redirect_to_another_scheme_is_a_block_error(server):
    with pytest.raises(BlockError, match="invalid URL 'file:///etc/passwd'"):
        send(HttpRequest("GET", server.base + "/redirect?to=file:///etc/passwd"))


def test_credentials_follow_a_redirect_on_the_same_host(server):
    response = send(HttpRequest("GET", server.base + "/redirect?to=/echo",
                                headers={"Authorization": "Bearer t", "Cookie": "c=1"}))
    assert response.body["headers"]["authorization"] == "Bearer t"
    assert response.body["headers"]["cookie"] == "c=1"


def test_credentials_are_dropped_on_a_redirect_to_another_host(server, other_server):
    url = server.base + "/redirect?to=" + other_server.base + "/echo"
    response = send(HttpRequest("GET", url, headers={"Authorization": "Bearer t", "Cookie": "c=1",
                                                     "X-Trace": "42"}))
    assert response.body["server"] == "127.0.0.2"
    headers = response.body["headers"]
    assert "authorization" not in headers and "cookie" not in headers
    assert "x-trace" not in headers
    assert headers["host"] == other_server.base.removeprefix("http://")


SECRET_HEADERS = {"X-Api-Key": "k-123", "api-key": "k-456", "X-AUTH-TOKEN": "tok",
                  "Private-Token": "p", "Accept": "application/vnd.acme+json"}


@pytest.fixture
def other_port_server():
    """A second server on 127.0.0.1 itself: the same host on another port."""
    server, base = start_server()
    server.base = base
    yield server
    stop_server(server)


def test_every_configured_header_follows_a_redirect_within_the_origin(server):
    response = send(HttpRequest("GET", server.base + "/redirect?to=/echo",
                                headers=SECRET_HEADERS))
    headers = response.body["headers"]
    assert {name: headers.get(name.lower()) for name in SECRET_HEADERS} == SECRET_HEADERS


@pytest.mark.parametrize("target", ["other_server", "other_port_server"])
def test_no_configured_header_follows_a_redirect_to_another_origin(server, target, request):
    other = request.getfixturevalue(target)
    response = send(HttpRequest("GET", server.base + "/redirect?to=" + other.base + "/echo",
                                headers=SECRET_HEADERS))
    assert response.body["path"] == "/echo"  # the other origin answered
    headers = response.body["headers"]
    assert not ({name.lower() for name in SECRET_HEADERS} - {"accept"}) & set(headers)
    # the client's own defaults take the place of the flow's
    assert (headers["accept"], headers["user-agent"]) == ("*/*", "Callwright")
    [(_, _, first)] = server.seen  # the flow's own origin got them all
    assert {name: first.get(name) for name in SECRET_HEADERS} == SECRET_HEADERS


def test_a_307_to_another_origin_resends_the_body_but_not_the_configured_headers(
        server, other_server):
    url = server.base + "/redirect?status=307&to=" + other_server.base + "/echo"
    response = send(HttpRequest("POST", url, json={"a": 1}, headers={"X-Api-Key": "k-123"}))
    body = response.body
    assert (body["method"], json.loads(body["body"])) == ("POST", {"a": 1})
    assert body["headers"]["content-type"] == "application/json"
    assert "x-api-key" not in body["headers"]


def test_headers_dropped_on_the_way_out_do_not_come_back_with_a_redirect_home(
        server, other_server):
    home = server.base + "/echo"
    url = server.base + "/redirect?to=" + other_server.base + "/redirect%3Fto%3D" + home
    response = send(HttpRequest("GET", url, headers={"X-Api-Key": "k-123"}))
    assert response.body["server"] == "127.0.0.1" and response.body["path"] == "/echo"
    assert "x-api-key" not in response.body["headers"]


def test_cookies_a_server_sets_are_never_sent_on_later_requests(server):
    async def go():
        async with OutboundHttp(LOOPBACK) as outbound:
            await outbound.send(HttpRequest("GET", server.base + "/cookie"))
            return await outbound.send(HttpRequest("GET", server.base + "/echo"))
    assert "cookie" not in asyncio.run(go()).body["headers"]


def test_a_loopback_address_is_refused_when_nothing_is_allowed(server):
    with pytest.raises(BlockError) as caught:
        send(HttpRequest("GET", server.base + "/echo"), {"http": {"allow": []}})
    assert str(caught.value) == ("refused: 127.0.0.1 is a loopback address; allow it with "
                                 "CALLWRIGHT_HTTP_ALLOW or [http] allow")
    assert server.seen == []


TRICKS = ["127.1", "2130706433", "0x7f000001", "[::ffff:127.0.0.1]", "localhost"]


@pytest.mark.parametrize("host", TRICKS)
def test_every_spelling_of_loopback_is_refused_when_nothing_is_allowed(server, host):
    port = server.server_address[1]
    with pytest.raises(BlockError, match=r"^refused: .* a loopback address"):
        send(HttpRequest("GET", f"http://{host}:{port}/echo"), {})
    assert server.seen == []


@pytest.mark.parametrize("host", TRICKS)
def test_every_spelling_of_loopback_reaches_the_server_when_loopback_is_allowed(server, host):
    port = server.server_address[1]
    # ::1 too, in case this system's localhost also resolves to the IPv6 loopback.
    allowed = {"http": {"allow": ["127.0.0.0/8", "::1/128"]}}
    response = send(HttpRequest("GET", f"http://{host}:{port}/echo"), allowed)
    assert response.status == 200
    assert response.body["headers"]["host"] == f"{host}:{port}"


def test_a_zero_padded_dotted_quad_is_never_sent_anywhere(server):
    with pytest.raises(BlockError, match="invalid URL"):
        send(HttpRequest("GET", f"http://0177.0.0.1:{server.server_address[1]}/echo"))
    assert server.seen == []


@pytest.mark.parametrize("url", ["http://169.254.169.254/latest/", "http://10.0.0.1/",
                                 "http://[fd00::1]/", "http://100.64.0.1/", "http://0.0.0.0/",
                                 "http://[::]/", "http://224.0.0.1/"])
def test_private_link_local_shared_unspecified_and_multicast_targets_are_refused(url):
    with pytest.raises(BlockError, match="^refused: "):
        send(HttpRequest("GET", url), LOOPBACK)


def test_a_name_is_connected_to_the_address_that_was_checked(server):
    calls = []

    async def resolver(host, port):
        calls.append(host)
        return [ipaddress.ip_address("127.0.0.1")]
    port = server.server_address[1]
    response = send(HttpRequest("GET", f"http://api.example:{port}/echo"), LOOPBACK,
                    resolver=resolver)
    assert calls == ["api.example"]  # resolved once, by us, not again by the HTTP client
    assert response.body["headers"]["host"] == f"api.example:{port}"


def test_a_name_resolving_to_a_refused_address_is_refused(server):
    async def resolver(host, port):
        return [ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("10.0.0.7")]
    with pytest.raises(BlockError, match="refused: api.example resolves to 10.0.0.7"):
        send(HttpRequest("GET", f"http://api.example:{server.server_address[1]}/"), LOOPBACK,
             resolver=resolver)
    assert server.seen == []


def test_an_unusable_allow_list_is_a_settings_error():
    with pytest.raises(ConfigurationError, match=r"\[http\] allow: 'intranet' is not a CIDR"):
        OutboundHttp({"http": {"allow": ["intranet"]}})
