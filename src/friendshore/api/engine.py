"""The engine behind the API: the store read once, the assessment computed once, in memory.

:class:`Engine` holds the store path and the zone; :meth:`Engine.snapshot`
returns the :class:`Snapshot` of the store as it is now: the supply network and
the zone assessment, computed on first use and again only when the store file
changes (its fingerprint: size and modification time). Responses of the metric
endpoints are serialised once per snapshot and query (:meth:`Snapshot.cached`)
and served as bytes, kept in a :class:`ByteCache`: least recently used first out,
bounded by bytes (``cache_bytes``), so no caller can grow the server's memory
by asking for many distinct URLs.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from friendshore._core.errors import StoreError
from friendshore._core.records import finite
from friendshore.data.countries import read_countries
from friendshore.metrics.assessment import Assessment, assess
from friendshore.model.supply import SupplyNetwork
from friendshore.model.zone import Zone

#: Default bound of the response cache (bytes of responses and keys): 64 MiB.
CACHE_BYTES: Final = 64 * 1024 * 1024
#: Bytes counted per cache entry beside its value and key (dict slot, tuple, bytes header).
ENTRY_OVERHEAD: Final = 200


def dumps(payload: Any) -> bytes:
    """Serialise ``payload`` to compact UTF-8 JSON (non-finite numbers are ``null``)."""
    text = json.dumps(finite(payload), ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.encode("utf-8")


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


def _key_bytes(key: Hashable) -> int:
    """Bytes of the strings in a cache key (a string, bytes or a tuple of them)."""
    if isinstance(key, str | bytes):
        return len(key)
    if isinstance(key, tuple):
        return sum(_key_bytes(k) for k in key)
    return 8


class ByteCache:
    """Serialised responses by key, bounded by bytes, least recently used evicted first.

    Thread-safe: the event loop reads it, worker threads fill it. An entry counts its
    value, the strings of its key and :data:`ENTRY_OVERHEAD`; one larger than the whole
    bound is not kept.

    Parameters
    ----------
    limit_bytes
        Most bytes held (``0``: nothing is kept).
    """

    def __init__(self, limit_bytes: int = CACHE_BYTES) -> None:
        self.limit_bytes = limit_bytes
        self._entries: OrderedDict[Hashable, tuple[bytes, int]] = OrderedDict()
        self._nbytes = 0
        self._lock = threading.Lock()

    @property
    def nbytes(self) -> int:
        """Bytes held now (values, keys and the per-entry overhead)."""
        return self._nbytes

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._entries

    def get(self, key: Hashable) -> bytes | None:
        """The bytes kept for ``key`` (now the most recently used), or ``None``."""
        with self._lock:
            hit = self._entries.get(key)
            if hit is None:
                return None
            self._entries.move_to_end(key)
            return hit[0]

    def put(self, key: Hashable, value: bytes) -> None:
        """Keep ``value`` for ``key``, evicting the least recently used beyond the bound."""
        size = len(value) + _key_bytes(key) + ENTRY_OVERHEAD
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._nbytes -= old[1]
            if size > self.limit_bytes:
                return
            self._entries[key] = (value, size)
            self._nbytes += size
            while self._nbytes > self.limit_bytes:
                _, (_, evicted) = self._entries.popitem(last=False)
                self._nbytes -= evicted

    def clear(self) -> None:
        """Drop every entry."""
        with self._lock:
            self._entries.clear()
            self._nbytes = 0


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
    cache
        Serialised responses of this snapshot: by the endpoint's own key
        (:meth:`cached`) and by canonical path and query string (served by
        :class:`~friendshore.api.app.HotCache`), bounded by bytes together.
    """

    fingerprint: tuple[int, int]
    network: SupplyNetwork
    assessment: Assessment
    country_names: dict[str, str]
    mineral_names: dict[str, str]
    cache: ByteCache = field(default_factory=ByteCache, repr=False)

    @property
    def zone(self) -> Zone:
        """The zone assessed."""
        return self.assessment.zone

    def cached(self, key: tuple[Any, ...], build: Callable[[], Any]) -> bytes:
        """The JSON bytes of ``build()``, computed once per snapshot and ``key``."""
        hit = self.cache.get(key)
        if hit is None:
            hit = dumps(build())
            self.cache.put(key, hit)
        return hit


class Engine:
    """The store and zone the API serves, with the current :class:`Snapshot`.

    Parameters
    ----------
    store_path
        The DuckDB store.
    zone
        The zone to assess.
    cache_bytes
        Bound of each response cache (bytes): the snapshot's and :attr:`runs`.
    """

    def __init__(self, store_path: Path, zone: Zone, *, cache_bytes: int = CACHE_BYTES) -> None:
        self.store_path = store_path
        self.zone = zone
        self.cache_bytes = cache_bytes
        self._snapshot: Snapshot | None = None
        self._lock = threading.Lock()
        #: Caches of the routers that do not depend on the snapshot (scenario list, runs).
        self.extras: dict[str, Any] = {}
        #: Serialised results of runs keyed by their request (scenario, SMART), bounded by bytes.
        self.runs = ByteCache(cache_bytes)

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
                cache=ByteCache(self.cache_bytes),
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
