"""tools/plot_task_accuracy.py draws the README's figure from committed runs, and refuses a
folder without results in one line (matplotlib only, no TensorFlow)."""

from pathlib import Path

from tests.tools.tool_modules import load_tool, refusal

REPO = Path(__file__).resolve().parents[2]
RUNS = REPO / "runs" / "compare_cifar_e5_n2000"


def test_plots_the_committed_runs(tmp_path):
    out = tmp_path / "figure.png"
    load_tool("plot_task_accuracy").main([str(RUNS / "alexnet_sgd"), str(RUNS / "alexnet_hat"),
                                          "--out", str(out)])
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_refuses_a_folder_without_results(tmp_path, capsys):
    error = refusal(load_tool("plot_task_accuracy"), [str(tmp_path), "--out", "x.png"], capsys)
    assert "results.json" in error
