"""cssim.analysis."""
