"""Dashboard assets (HTML, JS, CSS) served by the API; all bundled, nothing fetched."""
