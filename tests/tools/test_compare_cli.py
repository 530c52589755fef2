"""tools/compare.py passes train.py's refusal of bad input on as its own (exit 2, the one
line train.py printed), and reports any other failure of a training."""

import subprocess

import pytest

from tests.tools.tool_modules import load_tool


@pytest.mark.parametrize("status, code", [
    (2, 2),  # the exit status alone: train.py's line says why
    (1, "compare.py: training alexnet_joint failed"),
])
def test_a_failed_training_stops_the_comparison(tmp_path, monkeypatch, status, code):
    compare = load_tool("compare")
    commands = []
    monkeypatch.setattr(compare.subprocess, "run", lambda command: commands.append(command)
                        or subprocess.CompletedProcess(command, status))
    with pytest.raises(SystemExit) as exit_info:
        compare.main(["--dataset", "digits", "--tasks", "99", "--out", str(tmp_path / "out")])
    assert exit_info.value.code == code
    assert len(commands) == 1 and commands[0][-2:] == ["--tasks", "99"]
    assert not (tmp_path / "out").exists()
