"""REST API (FastAPI) over the whole engine, serving the dashboard too."""
