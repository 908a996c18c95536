"""cssim.model."""
