"""Reports: figures and self-contained HTML built from assessment results."""
