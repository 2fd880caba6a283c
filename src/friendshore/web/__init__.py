"""Dashboard assets (HTML, JS, CSS) served by the API; all bundled, nothing fetched.

:data:`PAGES` lists the pages in navigation order; each is ``pages/<file>`` (an
HTML shell whose ``<!--nav-->`` the server replaces with the navigation) and a
script ``static/<name>.js``. To add a page: write both files and add a
:class:`Page` here.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Final


@dataclass(frozen=True)
class Page:
    """A dashboard page: its URL path, HTML file and navigation label."""

    path: str
    file: str
    title: str


#: The dashboard's pages, in navigation order.
PAGES: Final[tuple[Page, ...]] = (
    Page("/", "overview.html", "Overview"),
    Page("/mineral", "mineral.html", "Mineral"),
    Page("/member", "member.html", "Member"),
    Page("/scenarios", "scenarios.html", "Scenarios"),
    Page("/tariffs", "tariffs.html", "Tariffs"),
    Page("/invest", "invest.html", "Investment"),
)


def web_dir() -> Path:
    """The folder of the dashboard's files (``pages/`` and ``static/``)."""
    return Path(str(files("friendshore.web")))


def static_dir() -> Path:
    """The folder of the scripts, styles and images served under ``/static``."""
    return web_dir() / "static"


def page_html(page: Page) -> str:
    """The HTML of ``page`` with its navigation filled in (the current page marked)."""
    links = "".join(
        f'<li><a href="{p.path}"{" aria-current=page" if p == page else ""}>{p.title}</a></li>'
        for p in PAGES
    )
    text = (web_dir() / "pages" / page.file).read_text(encoding="utf-8")
    return text.replace("<!--nav-->", f'<ul class="nav">{links}</ul>')
