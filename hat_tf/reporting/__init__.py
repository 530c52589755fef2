"""What a run or a set of runs shows a person: tables, plots, summaries; for every run,
TensorBoard logs, report.md and its plots, and the capacity warning (`standard.py`).

Import the modules themselves: this package imports nothing, so that tools which only
compare results files (tools/report.py) do not load TensorFlow."""
