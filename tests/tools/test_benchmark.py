"""tools/benchmark.py runs and writes its JSON and table (no timing is asserted)."""

import json

import pytest

from hat_tf.benchmarking import thread_setting
from hat_tf.machine import machine_description
from tests.tools.tool_modules import load_tool, refusal


def test_benchmark_writes_json_and_markdown(tmp_path, capsys):
    """In this process; the tool measures each row in a process of its own anyway."""
    load_tool("benchmark").main([
        "--models", "alexnet_hat", "--widths", "0.125", "--tasks", "2", "--precisions",
        "mixed_bfloat16", "--warmup-steps", "2", "--window-steps", "2", "--windows", "2",
        "--ratio-windows", "2", "--out", str(tmp_path)])
    assert "alexnet_hat width 0.125 tasks 2 mixed_bfloat16:" in capsys.readouterr().out
    report = json.loads((tmp_path / "benchmark.json").read_text())
    assert report["environment"]["device"] == "CPU"
    assert report["environment"]["machine"] == machine_description()
    assert report["environment"]["tensorflow"]
    (row,) = report["results"]
    assert row["model"] == "alexnet_hat" and row["num_tasks"] == 2
    for key in ("train_images_per_second", "inference_images_per_second", "peak_memory_mib"):
        assert row[key] > 0
    assert 0.0 <= row["data_wait_share"] <= 1.0
    assert row["step_time_over_plain"] > 0  # against alexnet_sgd, timed in the same process
    assert row["step_time_over_float32"] > 0  # against its float32 twin, likewise
    table = (tmp_path / "benchmark.md").read_text()
    assert "| alexnet_hat | 0.125 | 2 | mixed_bfloat16 |" in table
    assert table.startswith(f"Device: {machine_description()}; TensorFlow ")


def test_bad_arguments_exit_with_one_line_and_write_nothing(tmp_path, capsys):
    out, benchmark = tmp_path / "out", load_tool("benchmark")
    for args in (["--models", "alexnet_nope"], ["--widths", "0"], ["--ratio-windows", "0"]):
        error = refusal(benchmark, [*args, "--out", str(out)], capsys)
        assert "expected" in error or "invalid choice" in error
    assert not out.exists()


@pytest.mark.parametrize("out, message", [
    ("file", "--out: expected a folder, received the file "),
    ("file/out", "--out: expected a path in a folder, received "),
])
def test_an_out_that_cannot_be_written_is_refused_before_measuring(tmp_path, capsys,
                                                                   monkeypatch, out, message):
    """Used to fail with a traceback after the first measurement (minutes)."""
    benchmark = load_tool("benchmark")
    monkeypatch.setattr(benchmark, "measure_in_subprocess", lambda settings: pytest.fail(
        "measured before checking --out"))
    (tmp_path / "file").write_text("a file\n")
    assert message in refusal(benchmark, ["--out", str(tmp_path / out)], capsys)
    assert [path.name for path in tmp_path.iterdir()] == ["file"]


def test_the_thread_settings_recorded_are_those_tensorflow_uses(monkeypatch):
    """tf.config's setting where one is made, else TensorFlow's environment variable (as
    `compare.py --jobs` sets it for each training), else 0 for TensorFlow's default."""
    monkeypatch.delenv("TF_NUM_INTRAOP_THREADS", raising=False)
    assert thread_setting(0, "TF_NUM_INTRAOP_THREADS") == 0
    monkeypatch.setenv("TF_NUM_INTRAOP_THREADS", "1")
    assert thread_setting(0, "TF_NUM_INTRAOP_THREADS") == 1
    assert thread_setting(3, "TF_NUM_INTRAOP_THREADS") == 3
