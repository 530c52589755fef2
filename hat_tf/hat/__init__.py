"""HAT's pure pieces, each one equation of the paper (docs/algorithm.md §2–§7)."""
