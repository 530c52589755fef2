"""tools/gpu_grid.sh: the grids a CPU cannot train, as one command for a GPU machine."""

import os
import subprocess

from hat_tf.reporting.protocols import PROTOCOLS
from tests.tools.tool_modules import REPO, load_tool

SCRIPT = REPO / "tools" / "gpu_grid.sh"


def run_script(args, tmp_path, cwd=None):
    """Runs the script with a `python` that records its arguments instead of training."""
    stub_dir = tmp_path / "bin"
    stub_dir.mkdir()
    calls = tmp_path / "calls.txt"
    stub = stub_dir / "python"
    stub.write_text(f'#!/usr/bin/env bash\nprintf "%s\\t" "$@" >> {calls}\necho >> {calls}\n')
    stub.chmod(0o755)
    environment = {**os.environ, "PATH": f"{stub_dir}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run(["bash", str(SCRIPT), *args], capture_output=True, text=True,
                            env=environment, cwd=cwd)
    lines = calls.read_text().splitlines() if calls.exists() else []
    return result, [line.rstrip("\t").split("\t") for line in lines]


def test_it_runs_four_protocol_grids_that_compare_accepts(tmp_path):
    data, out = tmp_path / "data", tmp_path / "out"
    data.mkdir()
    result, calls = run_script([str(data), str(out)], tmp_path)
    assert result.returncode == 0, result.stderr
    assert [call[0] for call in calls] == ["tools/compare.py"] * 4
    compare = load_tool("compare")
    parser = compare.build_parser()
    protocols = []
    for call in calls:
        args = parser.parse_args(call[1:])
        compare.check_protocol_arguments(parser, args)  # its families exist, no budget option
        assert args.protocol in PROTOCOLS and args.data_dir == str(data)
        assert args.out == str(out / args.protocol)
        protocols.append(args.protocol)
    assert protocols == ["cpu10", "cifar100_10", "cifar100_10_gpu", "paper"]


def test_folders_given_relative_to_the_callers_folder_stay_the_callers(tmp_path):
    """The script runs compare.py from the repository's root: the folders it passes on are
    made absolute first."""
    (tmp_path / "data").mkdir()
    result, calls = run_script(["data", "out"], tmp_path, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert {call[call.index("--data-dir") + 1] for call in calls} == {str(tmp_path / "data")}
    assert calls[0][calls[0].index("--out") + 1] == str(tmp_path / "out" / "cpu10")


def test_bad_input_is_refused_in_one_line_before_anything_runs(tmp_path):
    result, calls = run_script([str(tmp_path / "missing"), str(tmp_path / "out")], tmp_path)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "expected DATA_DIR" in result.stderr
    assert calls == [] and not (tmp_path / "out").exists()
