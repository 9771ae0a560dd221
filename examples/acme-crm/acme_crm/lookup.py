"""The `acme.crm_lookup` block: find the contact in Acme CRM by phone number."""

from __future__ import annotations

from typing import Any

from blocks.sdk import Block, BlockError, Context, HttpResponse, read_manifest

DEFAULT_PHONE = "{{ contact.from }}"
DEFAULT_VARIABLE = "vars.customer"
DEFAULT_TIMEOUT_S = 5.0


async def request_customer(ctx: Context, timeout_s: float) -> HttpResponse | None:
    """Ask the CRM for the customer with the configured phone; None when there is no number."""
    config = ctx.config
    # the engine renders templates in config, but not the manifest's defaults: render ours here
    phone = config["phone"] if "phone" in config else ctx.render(DEFAULT_PHONE)
    if not phone.strip():
        ctx.log("no phone number to look up (withheld caller id?)")
        return None
    headers = {"Accept": "application/json"}
    if config.get("token"):
        headers["Authorization"] = f"Bearer {config['token']}"
    base_url = config["base_url"].rstrip("/")
    return await ctx.http("GET", f"{base_url}/customers", query={"phone": phone.strip()},
                          headers=headers, timeout_s=timeout_s)


def customer_from(response: HttpResponse | None) -> dict[str, Any] | None:
    """Return the customer record of a CRM answer, None when the CRM has no such customer."""
    if response is None or response.status == 404:
        return None
    if response.status != 200:
        raise BlockError(f"Acme CRM answered HTTP {response.status}")
    if not isinstance(response.body, dict):
        raise BlockError("Acme CRM answered 200 without a JSON object")
    return response.body


class CrmLookupBlock(Block):
    """Look the contact up in Acme CRM and store the customer record in a variable."""

    manifest = read_manifest(__package__, "crm_lookup.json")

    async def run(self, ctx: Context) -> str:
        """Take `found`, `not_found` or `timeout`; any other CRM answer takes `error`."""
        timeout_s = float(ctx.config.get("timeout_s", DEFAULT_TIMEOUT_S))
        try:
            response = await request_customer(ctx, timeout_s)
        except TimeoutError:
            ctx.log(f"Acme CRM did not answer within {timeout_s:g} s")
            return "timeout"
        customer = customer_from(response)
        if customer is None:
            return "not_found"
        ctx.set(ctx.config.get("variable", DEFAULT_VARIABLE), customer)
        return "found"


class CrmLookupBlockV1(Block):
    """Version 1: the customer always goes to `vars.customer`, and a slow CRM is an error."""

    manifest = read_manifest(__package__, "crm_lookup_v1.json")

    async def run(self, ctx: Context) -> str:
        """Take `found` or `not_found`; a timeout or any other CRM answer takes `error`."""
        try:
            response = await request_customer(ctx, DEFAULT_TIMEOUT_S)
        except TimeoutError:
            raise BlockError(f"Acme CRM did not answer within {DEFAULT_TIMEOUT_S:g} s") from None
        customer = customer_from(response)
        if customer is None:
            return "not_found"
        ctx.set(DEFAULT_VARIABLE, customer)
        return "found"
