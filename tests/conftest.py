import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
if "PYTEST_XDIST_WORKER" in os.environ:
    # One thread per op in each of the suite's workers (and the tools they start): the two
    # workers already fill the two cores, and tiny nets gain nothing from a second thread.
    os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "1")

pytest_plugins = ["tests.export.runs"]  # the exported_run fixture of tests/export and tools
