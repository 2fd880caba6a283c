"""Compliance: rule packs, declarations, evaluation, signed certificates and their registry."""
