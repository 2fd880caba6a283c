"""Core building blocks shared by every layer: errors, units, identifiers."""
