"""Disruption scenarios: shocks, propagation through the trade network, zone response."""
