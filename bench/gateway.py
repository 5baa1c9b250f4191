"""Gateway overhead: direct-to-backend vs rollyard vs LiteLLM proxy, side by side.

A fast scripted backend on 127.0.0.1 answers a fixed chat completion. At 1, 16 and 64
concurrent clients, streaming and not, the same requests (driven by wrk when it is
installed, else by a Python client, which saturates first) go (a) straight to it, (b)
through ``rollyard gateway`` (recording on: every call durably in SQLite before its
answer), (c) through LiteLLM's proxy (installed by this script into its own venv under
bench/.venv-litellm). Each cell runs ``--rounds`` times, the targets taking turns, and
each round's proxied numbers are compared with that round's direct ones: added latency and
ratios are medians of those paired comparisons, so a slow spell of a shared machine cannot
land on one target alone; the proxies not under test are paused (SIGSTOP) meanwhile, so an
idle one's background timers do not take CPU from the measured one. Reported: latency
p50/p99 (median of rounds), the latency added over direct, throughput, and ratios, for two
backend profiles in one run:

- ``llm``: the backend answers after 100 ms x (0.5 .. 1.5) (``--delay-ms``), as a
  fast model server does for a short completion. The targets (added p50, share of direct
  throughput, ratio to LiteLLM) are read here: a gateway in front of a model must keep up
  with it and add little.
- ``zero``: the backend answers at once, so every number is the proxies' own CPU cost
  (keys ``capacity_*``). No Python proxy that parses, converts and durably records each
  call comes near a raw-ASGI constant responder here; the ratio to LiteLLM is the point.

    python bench/gateway.py            # tables
    python bench/gateway.py --json     # one JSON object
    python bench/gateway.py --no-litellm --profile zero

Everything runs on 127.0.0.1, bounded in count and time, and stops by itself."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
LITELLM_VENV = HERE / ".venv-litellm"
CONCURRENCY = (1, 16, 64)
BODY = {"model": "bench", "messages": [{"role": "user", "content": "What is 6 times 7?"}], "max_tokens": 16}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, process: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args} exited with {process.returncode}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


def ensure_litellm() -> Path:
    python = LITELLM_VENV / "bin" / "python"
    if not (LITELLM_VENV / "bin" / "litellm").exists():
        print("installing litellm[proxy] into bench/.venv-litellm (once)", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(LITELLM_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "litellm[proxy]"], check=True)
    return LITELLM_VENV / "bin" / "litellm"


@dataclass
class Result:
    target: str
    concurrency: int
    stream: bool
    p50_ms: float
    p99_ms: float
    throughput: float
    errors: int
    profile: str = ""
    round: int = 0


async def load(url: str, concurrency: int, requests: int, stream: bool, headers: dict[str, str]) -> Result:
    latencies: list[float] = []
    errors = 0
    body = {**BODY, "stream": stream}
    if stream:
        body["stream_options"] = {"include_usage": True}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        counter = iter(range(requests))

        async def worker() -> None:
            nonlocal errors
            for _ in counter:
                started = time.perf_counter()
                try:
                    if stream:
                        async with client.stream("POST", url, json=body, headers=headers) as response:
                            async for _chunk in response.aiter_bytes():
                                pass
                            ok = response.status_code == 200
                    else:
                        response = await client.post(url, json=body, headers=headers)
                        ok = response.status_code == 200
                except httpx.HTTPError:
                    ok = False
                if ok:
                    latencies.append(time.perf_counter() - started)
                else:
                    errors += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    p50 = statistics.median(latencies) * 1000 if latencies else float("nan")
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000 if latencies else float("nan")
    return Result("", concurrency, stream, p50, p99, len(latencies) / elapsed, errors)


WRK_SCRIPT = """
wrk.method = "POST"
wrk.body = [[%s]]
wrk.headers["Content-Type"] = "application/json"
%s
"""


def _ms(value: str) -> float:
    units = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    for unit in ("us", "ms", "s"):
        if value.endswith(unit):
            return float(value[: -len(unit)]) * units[unit]
    return float(value)


def load_wrk(
    url: str, concurrency: int, seconds: float, stream: bool, headers: dict[str, str], workdir: Path
) -> Result:
    """The same load from wrk (a native load generator: a Python client saturates first)."""
    body = {**BODY, "stream": stream}
    if stream:
        body["stream_options"] = {"include_usage": True}
    extra = "\n".join(f'wrk.headers["{k}"] = "{v}"' for k, v in headers.items())
    script = workdir / f"post-{int(stream)}.lua"
    script.write_text(WRK_SCRIPT % (json.dumps(body), extra))
    threads = min(2, concurrency)
    duration = f"-d{max(1, round(seconds))}s"
    command = ["wrk", f"-t{threads}", f"-c{concurrency}", duration, "--latency", "-s", str(script), url]
    out = subprocess.run(command, capture_output=True, text=True, check=True, timeout=seconds + 60).stdout
    latency = {line.split()[0]: _ms(line.split()[1]) for line in out.splitlines() if line.strip()[:3] in ("50%", "99%")}
    rps = float(next(line.split()[1] for line in out.splitlines() if line.startswith("Requests/sec:")))
    errors = sum(int(x) for line in out.splitlines() if "Non-2xx" in line for x in line.split()[-1:])
    return Result(
        "", concurrency, stream, latency.get("50%", float("nan")), latency.get("99%", float("nan")), rps, errors
    )


PROFILES = {
    "llm": "backend answers after 100 ms x (0.5 .. 1.5): a short completion from a fast model server",
    "zero": "backend answers at once: the gateway's own capacity (its CPU cost per call)",
}


def run_profile(profile: str, delay_ms: float, args: argparse.Namespace, workdir: Path) -> list[Result]:
    """Direct, rollyard and LiteLLM against one backend, at every concurrency, streaming and not."""
    processes: list[subprocess.Popen[bytes]] = []
    try:
        backend_port = free_port()
        command = [sys.executable, str(HERE / "_backend.py"), str(backend_port), str(delay_ms)]
        backend = subprocess.Popen(command)
        processes.append(backend)
        backend_url = f"http://127.0.0.1:{backend_port}/v1"
        wait_http(f"http://127.0.0.1:{backend_port}/", backend)

        targets: dict[str, tuple[str, dict[str, str]]] = {"direct": (f"{backend_url}/chat/completions", {})}
        proxies: dict[str, subprocess.Popen[bytes]] = {}

        gateway_port = free_port()
        gateway = subprocess.Popen(
            [
                sys.executable, "-m", "rollyard", "gateway",
                "--backend", backend_url, "--backend-kind", "openai",
                "--db", f"sqlite:///{workdir / f'calls-{profile}.db'}", "--port", str(gateway_port),
            ],
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        processes.append(gateway)
        proxies["rollyard"] = gateway
        wait_http(f"http://127.0.0.1:{gateway_port}/healthz", gateway)
        targets["rollyard"] = (f"http://127.0.0.1:{gateway_port}/v1/chat/completions", {})

        if not args.no_litellm:
            litellm = ensure_litellm()
            config = workdir / f"litellm-{profile}.yaml"
            config.write_text(
                "model_list:\n  - model_name: bench\n    litellm_params:\n      model: openai/bench\n"
                f"      api_base: {backend_url}\n      api_key: unused\n"
                "litellm_settings:\n  telemetry: false\n"
            )
            lport = free_port()
            master_key = f"sk-bench-{os.urandom(16).hex()}"  # LiteLLM refuses to start without one
            env = {
                **os.environ,
                "LITELLM_TELEMETRY": "False",
                "LITELLM_LOCAL_MODEL_COST_MAP": "True",
                "LITELLM_MASTER_KEY": master_key,
            }
            proxy = subprocess.Popen(
                [str(litellm), "--config", str(config), "--port", str(lport), "--host", "127.0.0.1"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            processes.append(proxy)
            proxies["litellm"] = proxy
            wait_http(f"http://127.0.0.1:{lport}/health/liveliness", proxy, timeout=180)
            auth = {"authorization": f"Bearer {master_key}"}
            targets["litellm"] = (f"http://127.0.0.1:{lport}/v1/chat/completions", auth)

        use_wrk = shutil.which("wrk") is not None and not args.python_load
        results: list[Result] = []
        for stream in (False, True):
            for concurrency in CONCURRENCY:
                # Rounds alternate the targets, so each round's direct and proxied numbers are
                # taken moments apart: a slow spell of this shared machine hits both, not one.
                # One client against a model-paced backend completes only ~40 calls in a round,
                # and their p50 moves by a whole gap between delays (~2.5 ms) when a timed
                # run ends one call earlier or later; so that cell runs a fixed count of calls,
                # the same delay sequence for every target (the backend count is reset first).
                counted = max(20, round(args.seconds * 1000 / delay_ms)) if concurrency == 1 and delay_ms else 0
                for round_ in range(args.rounds):
                    for name, (url, headers) in targets.items():
                        # Only the target under test may run: an idle proxy still wakes for its
                        # own timers (LiteLLM's background jobs), and on 2 cores that is noise.
                        for other, process in proxies.items():
                            os.kill(process.pid, signal.SIGCONT if other == name else signal.SIGSTOP)
                        asyncio.run(load(url, concurrency, min(50, args.requests), stream, headers))  # warm up
                        httpx.post(f"http://127.0.0.1:{backend_port}/bench/reset").raise_for_status()
                        if use_wrk and not counted:
                            result = load_wrk(url, concurrency, args.seconds, stream, headers, workdir)
                        else:
                            count = counted or args.requests
                            result = asyncio.run(load(url, concurrency, count, stream, headers))
                        result.target, result.profile, result.round = name, profile, round_
                        results.append(result)
                    cell = f"{profile:4} c={concurrency:<3} stream={stream!s:5}"
                    print(f"  {cell} round {round_ + 1} done", file=sys.stderr)
        return results
    finally:
        for process in processes:
            if process.poll() is None:
                os.kill(process.pid, signal.SIGCONT)
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    parser.add_argument("--requests", type=int, default=600, help="requests per cell (Python load generator)")
    parser.add_argument("--no-litellm", action="store_true", help="skip LiteLLM (no install)")
    parser.add_argument("--seconds", type=float, default=4.0, help="seconds per cell and round (wrk)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per cell (medians are reported)")
    parser.add_argument("--python-load", action="store_true", help="drive the load from Python even if wrk exists")
    parser.add_argument("--delay-ms", type=float, default=100.0, help="the llm profile's mean backend delay")
    parser.add_argument("--profile", choices=["both", *PROFILES], default="both")
    args = parser.parse_args()
    use_wrk = shutil.which("wrk") is not None and not args.python_load
    print(f"load generator: {'wrk' if use_wrk else 'python (apt-get install wrk for a native one)'}", file=sys.stderr)
    workdir = Path(tempfile.mkdtemp(prefix="rollyard-bench-"))
    results: list[Result] = []
    try:
        for profile in PROFILES if args.profile == "both" else [args.profile]:
            results += run_profile(profile, args.delay_ms if profile == "llm" else 0.0, args, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    report(results, as_json=args.json, delay_ms=args.delay_ms)


Cell = tuple[str, int, bool]


def _rounds(results: list[Result], profile: str) -> dict[Cell, list[Result]]:
    by: dict[Cell, list[Result]] = {}
    for r in sorted((r for r in results if r.profile == profile), key=lambda r: r.round):
        by.setdefault((r.target, r.concurrency, r.stream), []).append(r)
    return by


def _paired(by: dict[Cell, list[Result]], ours: Cell, base: Cell, measure: str) -> float | None:
    """The median over rounds of ours - base (latency) or ours / base (throughput), each
    round compared with itself."""
    if base not in by or ours not in by:
        return None
    pairs = list(zip(by[ours], by[base], strict=True))
    if measure == "throughput":
        return round(statistics.median(a.throughput / b.throughput for a, b in pairs), 3)
    return round(statistics.median(getattr(a, measure) - getattr(b, measure) for a, b in pairs), 3)


def _summary(results: list[Result], profile: str, prefix: str) -> dict[str, float | None]:
    by = _rounds(results, profile)
    summary: dict[str, float | None] = {}
    if not by:
        return summary
    for c in CONCURRENCY:
        for stream, kind in ((False, ""), (True, "stream_")):
            ours, direct, lite = ("rollyard", c, stream), ("direct", c, stream), ("litellm", c, stream)
            summary[f"{prefix}{kind}added_p50_ms_{c}"] = _paired(by, ours, direct, "p50_ms")
            if not stream:
                summary[f"{prefix}added_p99_ms_{c}"] = _paired(by, ours, direct, "p99_ms")
                summary[f"{prefix}throughput_ratio_vs_direct_{c}"] = _paired(by, ours, direct, "throughput")
            summary[f"{prefix}{kind}throughput_ratio_vs_litellm_{c}"] = _paired(by, ours, lite, "throughput")
    return summary


def _medians(results: list[Result], profile: str) -> list[Result]:
    """One row per cell: the median of its rounds."""
    rows = []
    for (target, c, stream), rounds in _rounds(results, profile).items():
        p50 = statistics.median(r.p50_ms for r in rounds)
        p99 = statistics.median(r.p99_ms for r in rounds)
        throughput = statistics.median(r.throughput for r in rounds)
        rows.append(Result(target, c, stream, p50, p99, throughput, sum(r.errors for r in rounds), profile))
    return rows


def report(results: list[Result], *, as_json: bool, delay_ms: float) -> None:
    # The targets are read on the llm profile (a backend with a model's service time);
    # the zero profile's numbers are the gateway's raw capacity, reported as capacity_*.
    summary = {**_summary(results, "llm", ""), **_summary(results, "zero", "capacity_")}
    if as_json:
        print(json.dumps({**summary, "llm_delay_ms": delay_ms, "rows": [r.__dict__ for r in results]}))
        return
    for profile, what in PROFILES.items():
        rows = _medians(results, profile)
        if not rows:
            continue
        print(f"\n{profile}: {what if profile == 'zero' else what.replace('100', f'{delay_ms:g}')}")
        print(f"{'target':9} {'conc':>4} {'stream':>6} {'p50 ms':>8} {'p99 ms':>8} {'req/s':>8} {'errors':>6}")
        for r in rows:
            print(
                f"{r.target:9} {r.concurrency:>4} {r.stream!s:>6} {r.p50_ms:>8.2f} {r.p99_ms:>8.2f} "
                f"{r.throughput:>8.1f} {r.errors:>6}"
            )
    print()
    for key, value in summary.items():
        print(f"{key:48} {value}")


if __name__ == "__main__":
    main()
