"""cssim.data."""
