import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

pytest_plugins = ["tests.export.runs"]  # the exported_run fixture of tests/export and tools
