"""The engine behind the API: the store read once, the assessment computed once, in memory.

:class:`Engine` holds the store path and the zone; :meth:`Engine.snapshot`
returns the :class:`Snapshot` of the store as it is now: the supply network and
the zone assessment, computed on first use and again only when the store file
changes (its fingerprint: size and modification time). Responses of the metric
endpoints are serialised once per snapshot and query (:meth:`Snapshot.cached`)
and served as bytes.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from friendshore._core.errors import StoreError
from friendshore.data.countries import read_countries
from friendshore.metrics.assessment import Assessment, assess
from friendshore.model.supply import SupplyNetwork
from friendshore.model.zone import Zone

#: Most cached responses per snapshot (query variants); the cache is cleared beyond it.
CACHE_LIMIT: Final = 2048


def dumps(payload: Any) -> bytes:
    """Serialise ``payload`` to compact UTF-8 JSON (no NaN: missing values are ``null``)."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode(
        "utf-8"
    )


def store_fingerprint(path: Path) -> tuple[int, int]:
    """Size (bytes) and modification time (ns) of the store file.

    Raises
    ------
    StoreError
        If there is no store at ``path``.
    """
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise StoreError(f"no store at {path}: run `friendshore data build` first") from None
    return stat.st_size, stat.st_mtime_ns


@dataclass(eq=False)
class Snapshot:
    """The store read into memory and the zone assessment of it.

    Attributes
    ----------
    fingerprint
        :func:`store_fingerprint` of the store when it was read.
    network, assessment
        The supply network and the assessment of the zone (latest year).
    country_names, mineral_names
        Display names by ISO3 code and by mineral id.
    """

    fingerprint: tuple[int, int]
    network: SupplyNetwork
    assessment: Assessment
    country_names: dict[str, str]
    mineral_names: dict[str, str]
    _cache: dict[tuple[Any, ...], bytes] = field(default_factory=dict, repr=False)
    #: Whole responses by (path, query string), served by :class:`~friendshore.api.app.HotCache`.
    responses: dict[tuple[str, bytes], bytes] = field(default_factory=dict, repr=False)

    @property
    def zone(self) -> Zone:
        """The zone assessed."""
        return self.assessment.zone

    def cached(self, key: tuple[Any, ...], build: Callable[[], Any]) -> bytes:
        """The JSON bytes of ``build()``, computed once per snapshot and ``key``."""
        hit = self._cache.get(key)
        if hit is None:
            hit = dumps(build())
            if len(self._cache) >= CACHE_LIMIT:
                self._cache.clear()
            self._cache[key] = hit
        return hit


class Engine:
    """The store and zone the API serves, with the current :class:`Snapshot`.

    Parameters
    ----------
    store_path
        The DuckDB store.
    zone
        The zone to assess.
    """

    def __init__(self, store_path: Path, zone: Zone) -> None:
        self.store_path = store_path
        self.zone = zone
        self._snapshot: Snapshot | None = None
        self._lock = threading.Lock()
        #: Caches of the routers that do not depend on the snapshot (scenario list, runs).
        self.extras: dict[str, Any] = {}

    def current(self) -> Snapshot | None:
        """Return the snapshot if the store has not changed since it was read, else ``None``."""
        snap = self._snapshot
        try:
            fresh = snap is not None and snap.fingerprint == store_fingerprint(self.store_path)
        except StoreError:
            return None
        return snap if fresh else None

    def snapshot(self) -> Snapshot:
        """Return the snapshot of the store as it is now (read and assessed on first use).

        Raises
        ------
        StoreError
            If the store is missing or cannot be read.
        """
        current = store_fingerprint(self.store_path)
        snap = self._snapshot
        if snap is not None and snap.fingerprint == current:
            return snap
        with self._lock:
            snap = self._snapshot
            if snap is not None and snap.fingerprint == current:
                return snap
            network = SupplyNetwork.from_store(self.store_path)
            countries = read_countries()
            snap = Snapshot(
                fingerprint=current,
                network=network,
                assessment=assess(network, self.zone),
                country_names=dict(zip(countries["iso3"], countries["name"], strict=True)),
                mineral_names={
                    str(k): str(v)
                    for k, v in zip(
                        network.minerals["mineral_id"], network.minerals["name"], strict=True
                    )
                },
            )
            self._snapshot = snap
            return snap
