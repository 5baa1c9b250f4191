"""A fast scripted OpenAI-compatible backend for benchmarks: a fixed chat completion,
answered with as little work as possible (raw ASGI, no framework).

    python bench/_backend.py PORT [DELAY_MS]

With DELAY_MS, each answer waits DELAY_MS x (0.5 .. 1.5) first, like a model decoding a
short completion. The factor of the i-th request is 0.5 + frac(i x golden ratio): spread
evenly (clients do not move in lockstep) and the same for every target measured, so the
latency quantiles of direct and proxied runs differ by what the proxy adds, not by chance.
``POST /bench/reset`` restarts the count: the bench calls it before each measured run, so
every run sees the same sequence from its start (at one client a run is only ~40 requests,
and two different windows of the sequence would differ by a few ms in their median)."""

from __future__ import annotations

import asyncio
import json
import sys

import uvicorn

BODY = json.dumps(
    {
        "id": "chatcmpl-bench",
        "object": "chat.completion",
        "created": 1700000000,
        "model": "bench",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "The answer is 42."},
                "finish_reason": "stop",
                "logprobs": None,
            }
        ],
        "usage": {"prompt_tokens": 12, "completion_tokens": 6, "total_tokens": 18},
    }
).encode()


DELAY_S = float(sys.argv[2]) / 1000 if len(sys.argv) > 2 else 0.0
GOLDEN = (5**0.5 - 1) / 2
served = 0


async def app(scope, receive, send):  # type: ignore[no-untyped-def]
    if scope["type"] != "http":
        return
    global served
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    if scope["path"] == "/bench/reset":
        served = 0
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})
        return
    if DELAY_S:
        served += 1
        await asyncio.sleep(DELAY_S * (0.5 + (served * GOLDEN) % 1.0))
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": BODY})


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
