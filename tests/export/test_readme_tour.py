"""The README tour's third step, as written, loads a run's export with TensorFlow and
prints the accuracy the run measured for that task."""

import contextlib
import io
import re
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def tour_snippet() -> str:
    """The first ```python block under the heading "A 5-minute tour"."""
    section = README.read_text().split("## A 5-minute tour", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.DOTALL).group(1)


def test_the_tour_loads_an_export_and_reproduces_the_runs_accuracy(exported_run):
    snippet = tour_snippet()
    assert '"runs/tour/saved_models/task_1"' in snippet
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(snippet.replace("runs/tour", str(exported_run.run_dir)), {})
    name, accuracy = printed.getvalue().split()
    task = exported_run.sequence.tasks[1]
    assert name == task.name
    assert abs(float(accuracy) - exported_run.results["acc_matrix"][1][1]) <= 1 / len(task.y_test)
