"""Call the chatty fixture's `sample_then_elicit` through the official MCP
Python SDK, answering its sampling and elicitation requests, and print one
JSON object for the Rust test to assert on.

Usage: python_ask.py URL MODE
  MODE  modern: mcp.Client (protocol 2026-07-28, the input-required retry)
        legacy: ClientSession.initialize() (a 2025 session; the server must
                be stateful), answered by server-to-client requests
"""
import asyncio
import json
import sys

from mcp import Client, ClientSession, types
from mcp.client.streamable_http import streamable_http_client


def callbacks(asked: list):
    async def sampling(context, params):
        asked.append("sampling:" + params.messages[0].content.text)
        return types.CreateMessageResult(
            role="assistant",
            content=types.TextContent(type="text", text="hello from Python"),
            model="py-test-model",
            stop_reason="endTurn",
        )

    async def elicitation(context, params):
        asked.append("elicitation:" + params.message)
        return types.ElicitResult(action="accept", content={"answer": "forty-two"})

    return sampling, elicitation


def summarize(result, asked, protocol) -> dict:
    return {
        "protocol_version": str(protocol),
        "asked": asked,
        "is_error": bool(result.is_error),
        "structured": result.structured_content,
    }


async def modern(url: str) -> dict:
    asked: list = []
    sampling, elicitation = callbacks(asked)
    async with Client(
        url, sampling_callback=sampling, elicitation_callback=elicitation
    ) as client:
        result = await client.call_tool("sample_then_elicit", {})
        protocol = getattr(client.session, "protocol_version", None) or "2026-07-28"
        return summarize(result, asked, protocol)


async def legacy(url: str) -> dict:
    asked: list = []
    sampling, elicitation = callbacks(asked)
    async with streamable_http_client(url) as (read, write, *_):
        async with ClientSession(
            read, write, sampling_callback=sampling, elicitation_callback=elicitation
        ) as session:
            init = await session.initialize()
            result = await session.call_tool("sample_then_elicit", {})
            return summarize(result, asked, init.protocol_version)


def main() -> None:
    url, mode = sys.argv[1], sys.argv[2]
    run = modern if mode == "modern" else legacy
    print(json.dumps(asyncio.run(run(url))))


if __name__ == "__main__":
    main()
