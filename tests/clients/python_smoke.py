"""Drive access-mcp with the official MCP Python SDK: initialize, list tools,
call list_groups, list and get the prompt. Prints one JSON object for the Rust
test to assert on. Usage: python_smoke.py URL"""
import asyncio
import json
import sys

from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client


async def main(url: str) -> None:
    async with streamable_http_client(url) as (read, write, *_):
        async with ClientSession(read, write) as session:
            init = await session.initialize()
            tools = await session.list_tools()
            result = await session.call_tool("list_groups", {"q": "eng", "size": 5})
            prompts = await session.list_prompts()
            prompt = await session.get_prompt("request_access", {"group_or_role": "Engineering"})
            text = result.content[0].text if result.content else ""
            print(json.dumps({
                "protocol_version": str(init.protocol_version),
                "server_name": init.server_info.name,
                "has_instructions": bool(init.instructions),
                "tools": sorted(t.name for t in tools.tools),
                "list_groups_is_error": bool(result.is_error),
                "list_groups": json.loads(text),
                "list_groups_structured": result.structured_content,
                "prompts": [p.name for p in prompts.prompts],
                "prompt_text": prompt.messages[0].content.text,
            }))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
