"""``rollyard contracts check``: in-process through typer's runner, and once as a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from rollyard.cli._contracts import contracts_cli

CONTRACT = {
    "closed_world": True,
    "ignore_fields": {"global": ["updated_at"]},
    "assertions": [
        {
            "diff_type": "added",
            "entity": "messages",
            "where": {"channel_id": 3, "text": {"contains": "hello"}},
            "expected_count": 1,
            "description": "posts hello in channel 3",
        },
        {
            "diff_type": "changed",
            "entity": "orders",
            "where": {"id": 7},
            "expected_changes": {"status": {"from": "new", "to": "shipped"}},
        },
    ],
}

GOOD_DIFF = {
    "inserts": [{"__table__": "messages", "id": 5, "channel_id": 3, "text": "hello all"}],
    "updates": [
        {
            "before": {"__table__": "orders", "id": 7, "status": "new", "updated_at": 1},
            "after": {"__table__": "orders", "id": 7, "status": "shipped", "updated_at": 2},
        }
    ],
    "deletes": [],
}

BAD_DIFF = {**GOOD_DIFF, "deletes": [{"__table__": "carts", "id": 3, "user_id": 1}]}

YAML_CONTRACT = """\
closed_world: true
assertions:
  - diff_type: added
    entity: messages
    where:
      channel_id: 3
      or:
        - text: {contains: hello}
        - text: {contains: hi}
"""


def write(path: Path, data: Any) -> Path:
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    return {
        "contract": write(tmp_path / "contract.json", CONTRACT),
        "yaml": write(tmp_path / "contract.yaml", YAML_CONTRACT),
        "good": write(tmp_path / "good.json", GOOD_DIFF),
        "bad": write(tmp_path / "bad.json", BAD_DIFF),
    }


def invoke(*args: str | Path) -> Result:
    runner = CliRunner(env={"COLUMNS": "250", "NO_COLOR": "1"})
    return runner.invoke(contracts_cli, ["check", *map(str, args)])


def test_a_passing_check_prints_a_table_and_exits_0(files: dict[str, Path]) -> None:
    result = invoke("--contract", files["contract"], "--diff", files["good"])
    assert result.exit_code == 0, result.output
    assert "posts hello in channel 3" in result.stdout
    assert "closed world" in result.stdout
    assert "PASSED: 3/3 checks passed, score 1.00" in result.stdout


def test_a_failing_check_names_the_failure_and_exits_1(files: dict[str, Path]) -> None:
    result = invoke("--contract", files["contract"], "--diff", files["bad"])
    assert result.exit_code == 1
    assert "FAIL" in result.stdout
    assert "removed carts id=3 (user_id=1)" in result.stdout
    assert "FAILED: 2/3 checks passed, score 0.67" in result.stdout


def test_json_prints_one_verdict(files: dict[str, Path]) -> None:
    result = invoke("--contract", files["contract"], "--diff", files["bad"], "--json")
    assert result.exit_code == 1
    verdict = json.loads(result.stdout)
    assert verdict["passed"] is False
    assert verdict["score"] == pytest.approx(2 / 3)
    assert verdict["failures"] == [
        {
            "assertion": "closed_world",
            "description": "closed world: every change is accounted for by an assertion",
            "reason": "1 unexplained change: removed carts id=3 (user_id=1)",
        }
    ]
    assert [a["passed"] for a in verdict["assertions"]] == [True, True]


def test_a_yaml_contract(files: dict[str, Path], tmp_path: Path) -> None:
    only_message = write(tmp_path / "d.json", {"inserts": GOOD_DIFF["inserts"]})
    result = invoke("--contract", files["yaml"], "--diff", only_message, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["passed"] is True


@pytest.mark.parametrize(
    ("make_args", "message"),
    [
        (lambda f: ["--contract", f["contract"]], "give --contract FILE and --diff FILE"),
        (lambda f: ["--contract", f["contract"].with_name("nope.json"), "--diff", f["good"]], "cannot read contract"),
        (
            lambda f: ["--contract", f["good"].with_suffix(".txt"), "--diff", f["good"]],
            "expected a .json, .yaml or .yml",
        ),
        (lambda f: ["--contract", f["contract"], "--diff", f["contract"].with_name("nope.json")], "cannot read diff"),
        (lambda f: ["--batch", f["good"], "--contract", f["contract"]], "leave out --contract and --diff"),
        (lambda f: ["--batch", f["good"].with_name("missing.jsonl")], "cannot read batch"),
    ],
)
def test_bad_input_exits_2_with_a_message(files: dict[str, Path], make_args: Any, message: str) -> None:
    result = invoke(*make_args(files))
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stderr.startswith("error: ")
    assert "Traceback" not in result.output
    assert result.stdout == ""


def test_a_malformed_contract_names_the_field(tmp_path: Path, files: dict[str, Path]) -> None:
    bad = write(
        tmp_path / "bad.json", {"assertions": [{"diff_type": "added", "entity": "m", "where": {"s": {"equals": 1}}}]}
    )
    result = invoke("--contract", bad, "--diff", files["good"])
    assert result.exit_code == 2
    assert f"contract {bad}: assertions[0].where.s: unknown operator 'equals'" in result.stderr


def test_a_malformed_diff_names_the_entry(tmp_path: Path, files: dict[str, Path]) -> None:
    bad = write(tmp_path / "d.json", {"inserts": [{"id": 1}]})
    result = invoke("--contract", files["contract"], "--diff", bad)
    assert result.exit_code == 2
    assert "diff.inserts[0]: the row names no entity in '__table__'" in result.stderr


def test_batch_keeps_order_and_survives_bad_lines(tmp_path: Path, files: dict[str, Path]) -> None:
    lines = [
        json.dumps({"id": "pass", "contract": CONTRACT, "diff": GOOD_DIFF}),
        json.dumps({"id": "fail", "contract": CONTRACT, "diff": BAD_DIFF}),
        "{not json",
        "",
        json.dumps({"id": "bad-contract", "contract": {"assertions": [{"entity": "m"}]}, "diff": GOOD_DIFF}),
        json.dumps({"id": "bad-diff", "contract": CONTRACT, "diff": {"inserts": "x"}}),
        json.dumps({"contract": CONTRACT}),
        json.dumps(["a", "list"]),
        json.dumps({"id": "by-path", "contract": "contract.yaml", "diff": "messages.json"}),
    ]
    write(tmp_path / "messages.json", {"inserts": GOOD_DIFF["inserts"]})
    batch = write(tmp_path / "runs.jsonl", "\n".join(lines) + "\n")
    result = invoke("--batch", batch)
    assert result.exit_code == 1
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["line"] for o in out] == [1, 2, 3, 5, 6, 7, 8, 9]  # the blank line 4 is skipped
    assert [o.get("id") for o in out] == ["pass", "fail", None, "bad-contract", "bad-diff", None, None, "by-path"]
    assert [o["passed"] for o in out] == [True, False, False, False, False, False, False, True]
    assert out[0]["score"] == 1.0 and "error" not in out[0]
    assert out[1]["failures"][0]["assertion"] == "closed_world"
    assert out[2]["error"].startswith("not valid JSON")
    assert out[3]["error"].startswith("contract: assertions[0].diff_type")
    assert out[4]["error"] == "diff: diff.inserts: expected a list of rows"
    assert out[5]["error"] == 'a line needs both "contract" and "diff"'
    assert "expected an object" in out[6]["error"]
    assert all(o["score"] == 0.0 for o in out[2:7])


def test_an_all_passing_batch_exits_0(tmp_path: Path) -> None:
    line = json.dumps({"contract": CONTRACT, "diff": GOOD_DIFF})
    result = invoke("--batch", write(tmp_path / "runs.jsonl", f"{line}\n{line}\n"))
    assert result.exit_code == 0, result.output
    assert [json.loads(x)["line"] for x in result.stdout.splitlines()] == [1, 2]


def test_help_teaches_with_an_example() -> None:
    result = invoke("--help")
    assert result.exit_code == 0
    for text in ('"diff_type": "added"', "expected_changes", "closed_world", "--batch", "Exit code"):
        assert text in result.stdout


def test_real_subprocess(files: dict[str, Path]) -> None:
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}

    def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "rollyard", "contracts", "check", *map(str, args)]
        return subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)

    passed = run("--contract", files["contract"], "--diff", files["good"], "--json")
    assert passed.returncode == 0, passed.stderr
    assert json.loads(passed.stdout)["passed"] is True
    failed = run("--contract", files["contract"], "--diff", files["bad"])
    assert failed.returncode == 1
    assert "removed carts id=3" in failed.stdout and "FAILED" in failed.stdout
    bad = run("--contract", files["good"].with_name("nope.yaml"), "--diff", files["good"])
    assert bad.returncode == 2
    assert bad.stderr.startswith("error: cannot read contract") and "Traceback" not in bad.stderr
