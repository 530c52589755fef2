"""HAT's pure pieces, each one equation of the paper (HAT_SPEC §2–§7)."""
