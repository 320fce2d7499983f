#!/usr/bin/env python3
"""Hold many event streams open on a running server and report its RSS (#21).

Half are legacy sessions (initialize, then a standing GET /mcp stream), half
protocol 2026-07-28 `subscriptions/listen` streams (STREAMS_MODE=legacy or
listen: all of one kind). Every stream must answer
200 with `text/event-stream` and still be open after HOLD seconds.
Usage: streams.py URL SERVER_PID [COUNT=1000] [HOLD=10]
"""
import asyncio
import json
import resource
import sys
import urllib.parse

URL, PID = sys.argv[1], int(sys.argv[2])
COUNT = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
HOLD = float(sys.argv[4]) if len(sys.argv) > 4 else 10.0
u = urllib.parse.urlparse(URL)
HOST, PORT, PATH = u.hostname, u.port, u.path or "/mcp"


def rss_kib():
    with open(f"/proc/{PID}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def request(method, body=None, headers=()):
    lines = [f"{method} {PATH} HTTP/1.1", f"Host: {HOST}:{PORT}",
             "Accept: application/json, text/event-stream"]
    lines += list(headers)
    data = b""
    if body is not None:
        data = json.dumps(body).encode()
        lines += ["Content-Type: application/json", f"Content-Length: {len(data)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + data


async def head(reader):
    """Status code and headers (lower-case names) of a response."""
    status = int((await reader.readline()).split()[1])
    headers = {}
    while True:
        line = (await reader.readline()).decode().strip()
        if not line:
            return status, headers
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()


async def once(method, body, headers=()):
    """A request on a connection of its own, closed after the answer's headers."""
    reader, writer = await asyncio.open_connection(HOST, PORT)
    writer.write(request(method, body, list(headers) + ["Connection: close"]))
    await writer.drain()
    status, h = await head(reader)
    await reader.read()
    writer.close()
    return status, h


async def legacy():
    init = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": "streams", "version": "0"}}}
    status, h = await once("POST", init)
    assert status == 200, status
    session = h["mcp-session-id"]
    sh = [f"Mcp-Session-Id: {session}", "Mcp-Protocol-Version: 2025-06-18"]
    status, _ = await once("POST", {"jsonrpc": "2.0", "method": "notifications/initialized"}, sh)
    assert status in (200, 202), status
    reader, writer = await asyncio.open_connection(HOST, PORT)
    writer.write(request("GET", None, sh))
    await writer.drain()
    return reader, writer, await head(reader)


async def listen():
    body = {"jsonrpc": "2.0", "id": 9, "method": "subscriptions/listen", "params": {
        "notifications": {"toolsListChanged": True, "promptsListChanged": True},
        "_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28",
                  "io.modelcontextprotocol/clientCapabilities": {},
                  "io.modelcontextprotocol/clientInfo": {"name": "streams", "version": "0"}}}}
    reader, writer = await asyncio.open_connection(HOST, PORT)
    writer.write(request("POST", body, ["MCP-Protocol-Version: 2026-07-28",
                                        "Mcp-Method: subscriptions/listen"]))
    await writer.drain()
    return reader, writer, await head(reader)


async def main():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 65536), hard))
    before = rss_kib()
    streams = []
    mode = __import__("os").environ.get("STREAMS_MODE", "both")
    for i in range(COUNT):  # one at a time: the figure is for open streams, not a burst
        use_legacy = mode == "legacy" or (mode == "both" and i % 2 == 0)
        streams.append(await (legacy() if use_legacy else listen()))
    bad = [(s, h) for _, _, (s, h) in streams
           if s != 200 or "text/event-stream" not in h.get("content-type", "")]
    opened = rss_kib()
    await asyncio.sleep(HOLD)
    held = rss_kib()
    closed = 0
    for reader, _, _ in streams:
        try:
            await asyncio.wait_for(reader.read(1 << 16), 0.001)
            if reader.at_eof():
                closed += 1
        except asyncio.TimeoutError:
            pass
    for _, writer, _ in streams:
        writer.close()
    legacy_n = sum(1 for i in range(COUNT) if mode == "legacy" or (mode == "both" and i % 2 == 0))
    print(f"streams: {COUNT} open ({legacy_n} legacy GET, {COUNT - legacy_n} subscriptions/listen); "
          f"RSS {before / 1024:.0f} MiB before, {opened / 1024:.0f} MiB with all open, "
          f"{held / 1024:.0f} MiB after {HOLD:.0f} s; {len(bad)} refused, {closed} closed early")
    ok = not bad and closed == 0 and max(opened, held) < 200 * 1024
    print("streams: passed" if ok else "streams: FAILED (all must open and stay open under 200 MiB)")
    sys.exit(0 if ok else 1)


asyncio.run(main())
