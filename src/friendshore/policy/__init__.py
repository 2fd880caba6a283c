"""Tariff and preference simulation: SMART partial equilibrium and structural gravity GE."""
