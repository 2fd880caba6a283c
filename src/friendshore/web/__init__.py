"""Dashboard assets (HTML, JS, CSS) served by the API; all bundled, nothing fetched.

:data:`PAGES` lists the pages in navigation order. Every page is served from one
layout, ``pages/_layout.html`` (the ``<head>``, the header with the navigation and
the footer), whose ``$``-placeholders :func:`page_html` fills with the page's
title, its body (``pages/<file>``: the content of ``<main>``), its script
``static/<name>.js``, its data sources (footer) and the versioned URLs of the
static files and of plotly.js. To add a page: write both files and add a
:class:`Page` here.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path
from string import Template
from typing import Final

#: The data sources named in the footer of most pages.
DATA_SOURCES: Final = (
    "Data: U.S. Geological Survey Mineral Commodity Summaries (public domain); "
    "CEPII BACI (Etalab 2.0);\n  IEA Critical Minerals Data Explorer; World Bank WGI "
    "(CC BY 4.0); map: Natural Earth (public domain)."
)


@dataclass(frozen=True)
class Page:
    """A dashboard page: its URL path, body file, navigation label, footer sources, charts."""

    path: str
    file: str
    title: str
    sources: str = DATA_SOURCES
    charts: bool = True

    @property
    def script(self) -> str:
        """The page's script in ``static/``: ``<name>.js`` for ``<name>.html``."""
        return f"{Path(self.file).stem}.js"


#: The dashboard's pages, in navigation order.
PAGES: Final[tuple[Page, ...]] = (
    Page("/", "overview.html", "Overview"),
    Page("/mineral", "mineral.html", "Mineral"),
    Page("/member", "member.html", "Member"),
    Page("/scenarios", "scenarios.html", "Scenarios"),
    Page(
        "/compare",
        "compare.html",
        "Compare",
        sources="Data: CEPII BACI (Etalab 2.0); U.S. Geological Survey Mineral Commodity Summaries "
        "(public domain);\n  IEA Critical Minerals Data Explorer; scenarios as cited in each "
        "scenario file (share assumptions marked).",
    ),
    Page(
        "/tariffs",
        "tariffs.html",
        "Tariffs",
        sources="Data: CEPII BACI (Etalab 2.0); tariff schedules as cited (USTR 89 FR 76581; "
        "illustrative schedules marked);\n  elasticities as documented in tariffs/README.md; "
        "gegravity sample data (MIT); U.S. Geological Survey (public domain).",
    ),
    Page(
        "/floors",
        "floors.html",
        "Price floors",
        sources="Data: U.S. Geological Survey Mineral Commodity Summaries prices (public domain); "
        "World Bank Commodity Price Data (Pink Sheet, CC BY 4.0);\n  CEPII BACI unit values "
        "(Etalab 2.0); reference prices as cited in each rule file (illustrative files marked); "
        "elasticities as documented in floors/README.md.",
    ),
    Page(
        "/outlook",
        "outlook.html",
        "Outlook",
        sources="Data: IEA Critical Minerals Data Explorer (May 2024: demand by scenario, "
        "supply projections);\n  U.S. Geological Survey Mineral Commodity Summaries (public "
        "domain); CEPII BACI (Etalab 2.0) for the members' base-year consumption.",
    ),
    Page(
        "/stockpile",
        "stockpile.html",
        "Stockpile",
        sources="Data: U.S. Geological Survey Mineral Commodity Summaries prices and balances "
        "(public domain); World Bank Commodity Price Data (Pink Sheet, CC BY 4.0);\n  CEPII "
        "BACI (Etalab 2.0); World Bank WGI (CC BY 4.0); reference points: JOGMEC (60 days), "
        "US DoD (2025).",
    ),
    Page(
        "/invest",
        "invest.html",
        "Investment",
        sources="The shipped pipeline is an illustrative example of invented projects, not real "
        "projects or cost estimates.\n  Metrics: U.S. Geological Survey Mineral Commodity "
        "Summaries (public domain); CEPII BACI (Etalab 2.0);\n  IEA Critical Minerals Data "
        "Explorer; World Bank WGI (CC BY 4.0).",
    ),
    Page(
        "/certificates",
        "certificates.html",
        "Certificates",
        sources="Certificates: W3C Verifiable Credentials signed with Ed25519 by the member "
        "authorities, checked against this server's registry;\n  rule packs as cited in each "
        "evaluation (the shipped example declarations are illustrative).",
        charts=False,
    ),
)


#: The page served (status 404) for a path that is neither a page, an asset nor the API;
#: not in the navigation.
NOT_FOUND_PAGE: Final = Page("/404", "not_found.html", "Page not found", sources="", charts=False)


def web_dir() -> Path:
    """The folder of the dashboard's files (``pages/`` and ``static/``)."""
    return Path(str(files("friendshore.web")))


def static_dir() -> Path:
    """The folder of the scripts, styles and images served under ``/static``."""
    return web_dir() / "static"


def static_files() -> dict[str, Path]:
    """The files served under ``/static``, by name (no subfolders)."""
    return {p.name: p for p in sorted(static_dir().iterdir()) if p.is_file()}


@cache
def static_version() -> str:
    """A hash of every static file (names and bytes): part of their URLs, so that they can
    be cached for good (a changed file gets a new URL)."""
    digest = hashlib.sha256()
    for name, path in static_files().items():
        digest.update(name.encode("utf-8") + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


@cache
def _layout() -> Template:
    return Template((web_dir() / "pages" / "_layout.html").read_text(encoding="utf-8"))


def page_html(page: Page, *, static_prefix: str = "/static", plotly_src: str = "") -> str:
    """The HTML of ``page``: the layout filled with its title, navigation (the current page
    marked), body, script and sources.

    Parameters
    ----------
    page
        The page.
    static_prefix
        The URL of the static folder (``/static/<version>`` for long-lived caching).
    plotly_src
        The URL of plotly.js, preloaded (fetched in parallel, run after the page's
        numbers are shown) on pages with charts; empty: no preload.
    """
    links = "".join(
        f'<li><a href="{p.path}"{" aria-current=page" if p == page else ""}>{p.title}</a></li>'
        for p in PAGES
    )
    body = (web_dir() / "pages" / page.file).read_text(encoding="utf-8")
    preload = (
        f'<link rel="preload" as="script" id="plotly-js" href="{plotly_src}">\n'
        if page.charts and plotly_src
        else ""
    )
    return _layout().substitute(
        title=page.title,
        static=static_prefix,
        script=page.script,
        preload=preload,
        nav=f'<ul class="nav">{links}</ul>',
        body=body,
        sources=page.sources,
    )
