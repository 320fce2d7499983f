"""File an access request through the official MCP Python SDK with an
elicitation callback that accepts or declines, and print one JSON object for
the Rust test to assert on.

Usage: python_confirm.py URL MODE ANSWER GROUP_ID
  MODE   modern: mcp.Client (protocol 2026-07-28, input-required retry)
         legacy: ClientSession.initialize() (a 2025 session; the server must
                 be stateful), answered by elicitation/create
  ANSWER accept | decline
"""
import asyncio
import json
import sys

from mcp import Client, ClientSession, types
from mcp.client.streamable_http import streamable_http_client


def make_callback(answer: str, asked: list):
    async def callback(context, params):
        asked.append(params.message)
        if answer == "accept":
            return types.ElicitResult(action="accept", content={"confirm": True})
        return types.ElicitResult(action="decline")

    return callback


def summarize(result, asked, protocol) -> dict:
    text = result.content[0].text if result.content else ""
    return {
        "protocol_version": str(protocol),
        "asked": asked,
        "is_error": bool(result.is_error),
        "text": text,
        "structured": result.structured_content,
    }


async def modern(url: str, answer: str, group_id: str) -> dict:
    asked: list = []
    async with Client(url, elicitation_callback=make_callback(answer, asked)) as client:
        result = await client.call_tool(
            "create_access_request",
            {"group_id": group_id, "reason": "Confirmed through the Python SDK"},
        )
        protocol = getattr(client.session, "protocol_version", None) or "2026-07-28"
        return summarize(result, asked, protocol)


async def legacy(url: str, answer: str, group_id: str) -> dict:
    asked: list = []
    async with streamable_http_client(url) as (read, write, *_):
        async with ClientSession(
            read, write, elicitation_callback=make_callback(answer, asked)
        ) as session:
            init = await session.initialize()
            result = await session.call_tool(
                "create_access_request",
                {"group_id": group_id, "reason": "Confirmed in a session"},
            )
            return summarize(result, asked, init.protocol_version)


if __name__ == "__main__":
    url, mode, answer, group_id = sys.argv[1:5]
    run = modern if mode == "modern" else legacy
    print(json.dumps(asyncio.run(run(url, answer, group_id))))
