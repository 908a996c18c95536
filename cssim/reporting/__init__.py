"""cssim.reporting."""
