"""Prometheus text metrics, kept in-process (no client library needed)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


@dataclass
class GatewayMetrics:
    calls: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    """(api, status, backend) -> count."""
    tokens: Counter[tuple[str, str]] = field(default_factory=Counter)
    latency_buckets: Counter[float] = field(default_factory=Counter)
    latency_sum: float = 0.0
    latency_count: int = 0
    in_flight: int = 0
    paused: bool = False
    records_written: int = 0
    record_failures: int = 0

    def observe(self, api: str, status: str, backend: str, seconds: float, prompt: int, completion: int) -> None:
        self.calls[(api, status, backend)] += 1
        self.tokens[("prompt", backend)] += prompt
        self.tokens[("completion", backend)] += completion
        self.latency_sum += seconds
        self.latency_count += 1
        for bound in LATENCY_BUCKETS:
            if seconds <= bound:
                self.latency_buckets[bound] += 1

    def render(self) -> str:
        lines = [
            "# HELP rollyard_calls_total Model calls through the gateway.",
            "# TYPE rollyard_calls_total counter",
        ]
        for (api, status, backend), n in sorted(self.calls.items()):
            lines.append(f'rollyard_calls_total{{api="{api}",status="{status}",backend="{backend}"}} {n}')
        lines += ["# HELP rollyard_tokens_total Tokens by kind and backend.", "# TYPE rollyard_tokens_total counter"]
        for (kind, backend), n in sorted(self.tokens.items()):
            lines.append(f'rollyard_tokens_total{{kind="{kind}",backend="{backend}"}} {n}')
        lines += [
            "# HELP rollyard_call_seconds Time from request to recorded response.",
            "# TYPE rollyard_call_seconds histogram",
        ]
        for bound in LATENCY_BUCKETS:
            lines.append(f'rollyard_call_seconds_bucket{{le="{bound}"}} {self.latency_buckets[bound]}')
        lines.append(f'rollyard_call_seconds_bucket{{le="+Inf"}} {self.latency_count}')
        lines.append(f"rollyard_call_seconds_sum {self.latency_sum:.6f}")
        lines.append(f"rollyard_call_seconds_count {self.latency_count}")
        lines += [
            "# TYPE rollyard_in_flight gauge",
            f"rollyard_in_flight {self.in_flight}",
            "# TYPE rollyard_paused gauge",
            f"rollyard_paused {int(self.paused)}",
            "# TYPE rollyard_records_written_total counter",
            f"rollyard_records_written_total {self.records_written}",
            "# TYPE rollyard_record_failures_total counter",
            f"rollyard_record_failures_total {self.record_failures}",
        ]
        return "\n".join(lines) + "\n"
