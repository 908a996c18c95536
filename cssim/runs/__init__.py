"""cssim.runs."""
