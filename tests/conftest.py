import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# The tools the suite starts as subprocesses import this checkout's hat_tf, not an installed
# one (which may be another checkout's, or none in a fresh worktree).
os.environ["PYTHONPATH"] = os.pathsep.join(
    path for path in (str(Path(__file__).resolve().parents[1]), os.environ.get("PYTHONPATH"))
    if path)
if "PYTEST_XDIST_WORKER" in os.environ:
    # One thread per op in each of the suite's workers (and the tools they start): the two
    # workers already fill the two cores, and tiny nets gain nothing from a second thread.
    os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "1")

pytest_plugins = ["tests.export.runs"]  # the exported_run fixture of tests/export and tools
