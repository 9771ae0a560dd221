"""Outbound HTTP from flows: one pooled client, the network policy checked on every hop."""

from __future__ import annotations

import asyncio
import json
from http.cookiejar import Cookie, CookieJar
from typing import Any, Iterable

import httpx

from blocks.sdk import BlockError, ConfigurationError, HttpRequest, HttpResponse

from .addresses import AddressPolicy, Resolver

MAX_REDIRECTS = 5
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
DEFAULT_PORTS = {"http": 80, "https": 443}
# What describes a request's body goes with the body, and only with it
BODY_HEADERS = ("content-type", "content-length")
USER_AGENT = "Callwright"


class _NoCookies(CookieJar):
    """A cookie jar that keeps nothing: a shared client must not carry cookies across sessions."""

    def set_cookie(self, cookie: Cookie) -> None:
        """Drop the cookie."""

    def extract_cookies(self, response: Any, request: Any) -> None:
        """Keep no cookie from a response."""


# the [http] settings a workspace leaves out
HTTP_DEFAULTS: dict[str, Any] = {"allow": [], "timeout_s": 10.0, "max_response_bytes": 1024 * 1024,
                                 "max_connections": 1000}


class OutboundHttp:
    """Sends flows' HTTP requests under the workspace's network policy and limits."""

    def __init__(self, settings: dict, *, resolver: Resolver | None = None) -> None:
        section = {**HTTP_DEFAULTS, **settings.get("http", {})}
        try:
            self.policy = AddressPolicy(section["allow"], resolver)
        except ValueError as exc:
            raise ConfigurationError(f"[http] allow: {exc}") from None
        self.timeout_s = float(section["timeout_s"])
        self.max_response_bytes = int(section["max_response_bytes"])
        # trust_env=False: an environment proxy would connect to the name, not the checked address.
        # No keep-alive for https: the pool keys connections by address, so a connection opened
        # (and its certificate checked) for one host name must not serve another on the same IP.
        # httpx's default of 100 connections made the 101st turn waiting on a slow service wait
        # for a connection, then time out: the turns of a serve worker wait on one event loop
        tls = httpx.create_ssl_context()
        most = int(section["max_connections"])
        self._client = httpx.AsyncClient(
            follow_redirects=False, trust_env=False, cookies=_NoCookies(),
            headers={"User-Agent": USER_AGENT},
            transport=httpx.AsyncHTTPTransport(
                verify=tls, limits=httpx.Limits(max_connections=most,
                                                max_keepalive_connections=min(most, 100))),
            mounts={"https://": httpx.AsyncHTTPTransport(
                verify=tls, limits=httpx.Limits(max_connections=most,
                                                max_keepalive_connections=0))})

    async def __aenter__(self) -> OutboundHttp:
        """Return self; the client closes when the block ends."""
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        """Close the client."""
        await self.aclose()

    async def aclose(self) -> None:
        """Close the pooled connections."""
        await self._client.aclose()

    async def send(self, request: HttpRequest) -> HttpResponse:
        """Send a request, following redirects; raise TimeoutError or BlockError when it fails."""
        timeout = float(request.timeout_s) if request.timeout_s else self.timeout_s
        url = _parse_url(request.url, request.query)
        try:
            async with asyncio.timeout(timeout):
                return await self._follow(request, url, timeout)
        except TimeoutError:
            raise TimeoutError(f"{request.method.upper()} {url.host}: no answer within "
                               f"{timeout:g} s") from None

    async def _follow(self, request: HttpRequest, url: httpx.URL, timeout: float) -> HttpResponse:
        """Send the request and follow up to MAX_REDIRECTS redirects, checking every hop."""
        method = request.method.upper()
        headers = httpx.Headers({str(k): str(v) for k, v in request.headers.items()})
        # The headers a flow sets (an X-Api-Key as much as an Authorization) belong to the
        # origin it named; they never follow a redirect to another one
        configured = [name for name in headers if name not in BODY_HEADERS]
        content, payload = _body(request, headers)
        first, origin, redirects = url, _origin(url), 0
        while True:
            response = await self._exchange(method, url, headers, content, payload, timeout)
            try:
                location = response.headers.get("location")
                if response.status_code not in REDIRECT_STATUSES or not location:
                    return await self._answer(response, url, method)
            finally:
                await response.aclose()
            if redirects == MAX_REDIRECTS:
                raise BlockError(f"too many redirects from {_display(first)} "
                                 f"(more than {MAX_REDIRECTS})")
            redirects += 1
            url = _redirect_target(url, location)
            if _origin(url) != origin:
                _drop(headers, configured)
            if _redirect_method(response.status_code, method) != method:
                method, content, payload = "GET", None, None
                _drop(headers, BODY_HEADERS)

    async def _exchange(self, method: str, url: httpx.URL, headers: httpx.Headers,
                        content: bytes | None, payload: Any, timeout: float) -> httpx.Response:
        """Send one request to a checked address of the URL's host; return the streamed response."""
        host = url.raw_host.decode("ascii")
        port = url.port or DEFAULT_PORTS[url.scheme]
        addresses = await self.policy.resolve(host, port)
        hop_headers = httpx.Headers(headers)
        hop_headers["Host"] = url.netloc.decode("ascii")
        # The certificate is checked against the name the flow used, not the address.
        extensions = {"sni_hostname": host} if url.scheme == "https" else {}
        failure: Exception | None = None
        for address in addresses:
            pinned = url.copy_with(host=str(address))
            outgoing = self._client.build_request(
                method, pinned, headers=hop_headers, content=content, json=payload,
                timeout=httpx.Timeout(timeout), extensions=extensions)
            try:
                return await self._client.send(outgoing, stream=True)
            except httpx.ConnectError as exc:
                failure = exc  # try the host's next address, as a browser would
            except httpx.TimeoutException:
                raise TimeoutError(f"{method} {host}: timed out") from None
            except httpx.HTTPError as exc:
                raise BlockError(f"{method} {_display(url)}: {_reason(exc)}") from None
        raise BlockError(f"cannot connect to {host} port {port}: {_reason(failure)}")

    async def _answer(self, response: httpx.Response, url: httpx.URL, method: str) -> HttpResponse:
        """Read a final response within the size limit and decode its body."""
        raw = await self._read(response, url, method)
        headers = {name.lower(): value for name, value in response.headers.items()}
        return HttpResponse(status=response.status_code, headers=headers,
                            body=_decode(raw, headers.get("content-type", ""), response))

    async def _read(self, response: httpx.Response, url: httpx.URL, method: str) -> bytes:
        """Read the body, stopping as soon as it passes max_response_bytes."""
        limit = self.max_response_bytes
        too_large = f"{url.host}: response larger than {limit} bytes"
        declared = response.headers.get("content-length", "")
        if method != "HEAD" and declared.isdigit() and int(declared) > limit:
            raise BlockError(too_large)
        chunks, size = [], 0
        try:
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > limit:
                    raise BlockError(too_large)
                chunks.append(chunk)
        except httpx.TimeoutException:
            raise TimeoutError(f"{method} {url.host}: timed out reading the response") from None
        except httpx.HTTPError as exc:
            raise BlockError(f"{method} {_display(url)}: {_reason(exc)}") from None
        return b"".join(chunks)


def _parse_url(text: str, query: dict[str, Any]) -> httpx.URL:
    """Parse a flow's URL and add its query parameters; raise BlockError when it is not http(s)."""
    try:
        url = httpx.URL(text)
    except (httpx.InvalidURL, TypeError) as exc:
        raise BlockError(f"invalid URL {text!r}: {exc}") from None
    _check_scheme(url, text)
    if query:
        url = url.copy_merge_params({str(k): _query_value(v) for k, v in query.items()})
    return url


def _check_scheme(url: httpx.URL, text: str) -> None:
    """Raise BlockError unless the URL is absolute http or https with a host."""
    if url.scheme not in DEFAULT_PORTS or not url.raw_host:
        raise BlockError(f"invalid URL {text!r}: only http:// and https:// URLs with a host")


def _query_value(value: Any) -> str | list[str]:
    """Render a query parameter the way a flow author expects (true, 3, JSON for objects)."""
    if isinstance(value, list):
        return [v if isinstance(v, str) else json.dumps(v) for v in value]
    return value if isinstance(value, str) else json.dumps(value)


def _redirect_target(url: httpx.URL, location: str) -> httpx.URL:
    """Return the absolute URL a redirect points to; raise BlockError for other schemes."""
    try:
        target = url.join(location)
    except httpx.InvalidURL as exc:
        raise BlockError(f"invalid redirect to {location!r}: {exc}") from None
    _check_scheme(target, location)
    return target


def _redirect_method(status: int, method: str) -> str:
    """Return the method of the request a redirect asks for (RFC 9110, as browsers do it)."""
    if method != "HEAD" and (status in (302, 303) or (status == 301 and method == "POST")):
        return "GET"
    return method


def _origin(url: httpx.URL) -> tuple[str, str, int]:
    """Return the (scheme, host, port) a URL addresses."""
    return url.scheme, url.raw_host.decode("ascii").lower(), url.port or DEFAULT_PORTS[url.scheme]


def _drop(headers: httpx.Headers, names: Iterable[str]) -> None:
    """Remove the named headers, whichever of them are there."""
    for name in names:
        headers.pop(name, None)


def _body(request: HttpRequest, headers: httpx.Headers) -> tuple[bytes | None, Any]:
    """Return (raw content, JSON payload) of a request; a text body defaults to text/plain."""
    if request.body is not None:
        headers.setdefault("content-type", "text/plain; charset=utf-8")
        return request.body.encode("utf-8"), None
    return None, request.json


def _decode(raw: bytes, content_type: str, response: httpx.Response) -> Any:
    """Parse a JSON body (application/json or +json); return any other body as text."""
    media = content_type.partition(";")[0].strip().lower()
    text = raw.decode(_charset(response), errors="replace")
    if raw and (media == "application/json" or media.endswith("+json")):
        try:
            return json.loads(text)
        except ValueError:
            return text  # a server that mislabels its body: the flow still sees what came
    return text


def _charset(response: httpx.Response) -> str:
    """Return the response's declared charset when Python knows it, else UTF-8."""
    charset = response.charset_encoding or "utf-8"
    try:
        "".encode(charset)
    except LookupError:
        return "utf-8"
    return charset


def _display(url: httpx.URL) -> str:
    """Return a URL without its query (which may hold tokens), for messages."""
    path = url.raw_path.decode("ascii").partition("?")[0]
    return f"{url.scheme}://{url.netloc.decode('ascii')}{path}"


def _reason(exc: Exception | None) -> str:
    """Return an exception's message, or its kind when it has none."""
    if exc is None:
        return "no address"
    return str(exc) or type(exc).__name__
