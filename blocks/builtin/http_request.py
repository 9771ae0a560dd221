"""The `http` block: call a web service and branch on its answer."""

from __future__ import annotations

from blocks.sdk import Block, Context, Exit, read_manifest

_SCHEMES = ("http://", "https://")


class HttpBlock(Block):
    """Send one HTTP request through the context; 2xx takes `success`, other statuses `failure`."""

    manifest = read_manifest(__package__, "http.json")

    @classmethod
    def check(cls, config: dict) -> list[tuple[str, str]]:
        """Report a URL that can never work: written without a template and not http(s)."""
        url = config.get("url", "")
        if isinstance(url, str) and not url.lstrip().startswith("{") \
                and not url.strip().lower().startswith(_SCHEMES):
            return [("/url", f"{url!r} is not an http:// or https:// URL")]
        return []

    async def run(self, ctx: Context) -> Exit:
        """Send the request, store {status, headers, body}, take the exit its status calls for."""
        config = ctx.config
        options: dict = {
            "headers": {str(k): str(v) for k, v in config.get("headers", {}).items()},
            "query": dict(config.get("query", {})),
            "timeout_s": float(config.get("timeout_s", 10)),
        }
        if "json" in config:
            options["json"] = config["json"]
        if "body" in config:
            options["body"] = str(config["body"])
        method = config.get("method", "GET")
        try:
            response = await ctx.http(method, config["url"].strip(), **options)
        except TimeoutError as exc:
            ctx.log(f"{method} {config['url']}: {str(exc) or 'timed out'}")
            return "timeout"
        if config.get("variable"):
            ctx.set(config["variable"], response.as_dict())
        ctx.log(f"{method} {config['url']}: {response.status}")
        return "success" if 200 <= response.status < 300 else "failure"


BLOCKS = (HttpBlock,)
