"""Metrics: pure functions over model frames (no I/O), each returning a labelled frame."""
