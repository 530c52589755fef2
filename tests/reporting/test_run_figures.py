"""The end-of-run plots: drawn once, shown by TensorBoard and report.md alike."""

from hat_tf.config import DataConfig, RunConfig
from hat_tf.data import DATASETS
from hat_tf.hat.mask_snapshot import MaskSnapshot
from hat_tf.reporting import run_figures
from hat_tf.reporting.report import MarkdownReport
from hat_tf.reporting.run_figures import RunFigureCache
from hat_tf.reporting.standard import standard_observers
from hat_tf.reporting.tensorboard import TensorBoardReporter


def counting_draws(monkeypatch):
    """Counts the accuracy-matrix plots drawn through run_figures."""
    drawn = []
    draw = run_figures.accuracy_matrix_png

    def counted(*args):
        drawn.append(args)
        return draw(*args)

    monkeypatch.setattr(run_figures, "accuracy_matrix_png", counted)
    return drawn


def test_the_plots_are_drawn_once_per_run_state(monkeypatch, hat_run):
    drawn = counting_draws(monkeypatch)
    cache = RunFigureCache(s_max=400.0, capacity_threshold=0.9)
    first = cache.figures(hat_run.recorder.model, hat_run.results)
    assert cache.figures(hat_run.recorder.model, hat_run.results) is first
    assert len(drawn) == 1
    assert first.capacity is not None and first.reuse is not None
    one_task = {**hat_run.results, "tasks_completed": 1}
    assert cache.figures(hat_run.recorder.model, one_task) is not first
    assert len(drawn) == 2


def test_report_md_tables_and_plots_read_the_masks_once(monkeypatch, hat_run, tmp_path):
    reads = []
    read = MaskSnapshot.read

    def counted(gates, tasks_learned, s_max):
        reads.append(tasks_learned)
        return read(gates, tasks_learned, s_max)

    monkeypatch.setattr(MaskSnapshot, "read", counted)
    config = RunConfig(model="alexnet_hat", width=0.125, run_dir=str(tmp_path))
    MarkdownReport(str(tmp_path), config).on_run_end(hat_run.recorder.model, hat_run.results)
    assert reads == [2]
    assert "## Mask reuse" in (tmp_path / "report.md").read_text()


def test_a_network_without_gates_gets_the_accuracy_matrix_alone(plain_run):
    figures = RunFigureCache(s_max=400.0).figures(plain_run.recorder.model, plain_run.results)
    assert figures.accuracy_matrix.startswith(b"\x89PNG") and figures.capacity is None


def test_tensorboard_and_report_share_one_cache(tmp_path):
    config = RunConfig(model="alexnet_hat", width=0.125, run_dir=str(tmp_path),
                       data=DataConfig(dataset="digits", num_tasks=2, train_limit=20))
    observers = standard_observers(config, DATASETS.get("digits")(config.data), print)
    tensorboard, = (o for o in observers if isinstance(o, TensorBoardReporter))
    report, = (o for o in observers if isinstance(o, MarkdownReport))
    assert tensorboard.figures is report.figures
