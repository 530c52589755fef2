"""What a run or a set of runs shows a person: tables, plots, summaries."""
