"""Feature definitions, the point-in-time builder, spines, training tables, the leakage audit."""
