"""The HTML report of an evaluation: one self-contained file (inline SVG plots, no
scripts, no network), readable offline and attachable to an issue."""

from __future__ import annotations

import html
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ._runner import CaseResult, summarize

_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf")
_STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222;padding:0 1em}
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:2em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;width:100%;margin:.6em 0}th,td{border:1px solid #ddd;padding:4px 7px;text-align:left;
vertical-align:top}th{background:#f5f5f5}td.num{text-align:right;font-variant-numeric:tabular-nums}
.ok{color:#1a7f37;font-weight:600}.bad{color:#c62828;font-weight:600}.plots{display:flex;gap:2em;flex-wrap:wrap}
.muted{color:#777}code{font-size:90%}
"""


def _e(value: Any) -> str:
    return html.escape(str(value))


def _scatter(points: Sequence[tuple[str, float, float]], x_label: str, y_label: str, width: int = 480) -> str:
    """Labelled points; y is a rate in [0, 1], x starts at 0."""
    height, pad = 300, 48
    x_max = max((p[1] for p in points), default=1.0) or 1.0
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
        f'aria-label="{_e(y_label)} vs {_e(x_label)}">',
        f'<line x1="{pad}" y1="{height - pad}" x2="{width - 10}" y2="{height - pad}" stroke="#444"/>',
        f'<line x1="{pad}" y1="10" x2="{pad}" y2="{height - pad}" stroke="#444"/>',
        f'<text x="{width / 2}" y="{height - 10}" text-anchor="middle" font-size="12">{_e(x_label)}</text>',
        f'<text x="14" y="{height / 2}" transform="rotate(-90 14 {height / 2})" text-anchor="middle" '
        f'font-size="12">{_e(y_label)}</text>',
    ]
    for tick in (0.0, 0.5, 1.0):
        y = height - pad - tick * (height - pad - 20)
        parts.append(f'<text x="{pad - 6}" y="{y + 4}" text-anchor="end" font-size="11">{tick:.0%}</text>')
        parts.append(f'<line x1="{pad}" y1="{y}" x2="{width - 10}" y2="{y}" stroke="#eee"/>')
    for tick in (0.0, 0.5, 1.0):
        x = pad + tick * (width - pad - 30)
        parts.append(
            f'<text x="{x}" y="{height - pad + 16}" text-anchor="middle" font-size="11">{_fmt(tick * x_max)}</text>'
        )
    for index, (label, xv, yv) in enumerate(points):
        x = pad + (xv / x_max) * (width - pad - 30)
        y = height - pad - yv * (height - pad - 20)
        colour = _COLOURS[index % len(_COLOURS)]
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="6" fill="{colour}"><title>{_e(label)}</title></circle>')
        parts.append(f'<text x="{x + 9:.1f}" y="{y - 6:.1f}" font-size="11" fill="{colour}">{_e(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _fmt(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


def render_report(results: Sequence[CaseResult], *, title: str, run_id: str, suite: str) -> str:
    """The report as one HTML page."""
    rows = summarize(results)
    priced = any(r["cost"] for r in rows)
    cost_key, cost_label = ("cost", "mean cost per task") if priced else ("tokens", "mean tokens per task")
    points_cost = [(f"{r['strategy']} / {r['model']}", float(r[cost_key]), float(r["success_rate"])) for r in rows]
    points_time = [(f"{r['strategy']} / {r['model']}", float(r["seconds"]), float(r["success_rate"])) for r in rows]
    out = [
        f"<!doctype html><html><head><meta charset='utf-8'><title>{_e(title)}</title><style>{_STYLE}</style>",
        f"</head><body><h1>{_e(title)}</h1>",
        f"<p class='muted'>run <code>{_e(run_id)}</code> · suite <code>{_e(suite)}</code> · "
        f"{len(results)} results · {time.strftime('%Y-%m-%d %H:%M:%S')}</p>",
        "<h2>Strategies and models</h2><table><tr><th>strategy</th><th>model</th><th>n</th><th>success</th>"
        "<th>mean score</th><th>LLM calls</th><th>tool calls</th><th>tokens</th><th>cost</th><th>latency (s)</th>"
        "<th>errors</th></tr>",
    ]
    for r in rows:
        out.append(
            f"<tr><td>{_e(r['strategy'])}</td><td>{_e(r['model'])}</td><td class='num'>{r['n']}</td>"
            f"<td class='num'>{r['success_rate']:.0%}</td><td class='num'>{r['mean_score']:.2f}</td>"
            f"<td class='num'>{r['llm_calls']:.1f}</td><td class='num'>{r['tool_calls']:.1f}</td>"
            f"<td class='num'>{r['tokens']:,.0f}</td><td class='num'>{r['cost']:.4f}</td>"
            f"<td class='num'>{r['seconds']:.2f}</td><td class='num'>{r['errors']}</td></tr>"
        )
    out.append("</table><div class='plots'>")
    out.append(_scatter(points_cost, cost_label, "success rate"))
    out.append(_scatter(points_time, "mean latency per task (s)", "success rate"))
    out.append("</div>")
    out.append(_by_group(results))
    out.append(_failures(results))
    out.append("</body></html>")
    return "\n".join(out)


def _by_group(results: Sequence[CaseResult]) -> str:
    columns = sorted({(r.strategy, r.model) for r in results})
    groups = sorted({r.group for r in results})
    out = ["<h2>Success by world / category</h2><table><tr><th>group</th>"]
    out += [f"<th>{_e(s)} / {_e(m)}</th>" for s, m in columns]
    out.append("</tr>")
    for group in groups:
        out.append(f"<tr><td>{_e(group)}</td>")
        for strategy, model in columns:
            items = [r for r in results if r.group == group and r.strategy == strategy and r.model == model]
            passed = sum(r.success for r in items)
            out.append(f"<td class='num'>{passed}/{len(items)}</td>")
        out.append("</tr>")
    out.append("</table>")
    return "".join(out)


def _failures(results: Sequence[CaseResult]) -> str:
    failed = [r for r in results if not r.success]
    out = [
        f"<h2>Per-task results ({len(failed)} failed)</h2><table><tr><th>case</th><th>strategy</th>"
        "<th>model</th><th>result</th><th>run status</th><th>why (contract / checker)</th><th>state change</th>"
        "<th>calls</th></tr>"
    ]
    for r in sorted(results, key=lambda r: (r.success, r.case_id, r.strategy, r.model)):
        verdict = "<span class='ok'>pass</span>" if r.success else "<span class='bad'>fail</span>"
        out.append(
            f"<tr><td><code>{_e(r.case_id)}</code></td><td>{_e(r.strategy)}</td><td>{_e(r.model)}</td>"
            f"<td>{verdict}</td><td>{_e(r.status)}</td><td>{'<br>'.join(_e(f) for f in r.failures) or _e(r.reason)}"
            f"</td><td>{_e(r.change)}</td><td class='num'>{r.llm_calls} / {r.tool_calls}</td></tr>"
        )
    out.append("</table>")
    return "".join(out)


def write_report(path: str | Path, results: Sequence[CaseResult], *, title: str, run_id: str, suite: str) -> Path:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render_report(results, title=title, run_id=run_id, suite=suite), encoding="utf-8")
    return target
