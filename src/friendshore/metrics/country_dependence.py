"""Dependence of any country (or bloc), member of the zone or not: its own material balance.

The dependence metrics of :mod:`friendshore.metrics.dependence` are computed
for the zone's members and the zone. An analyst also asks them of a candidate
(Canada), a third country (India), or one member state inside a bloc member
(Germany inside ``EU27``). This module computes the same profile for any such
*country* (an ISO3 code, or a bloc id) as the one member of an ad-hoc zone
(:func:`alone_zone`): the country alone, with the zone's rivals. Its net import
reliance is then its own material balance
(:func:`friendshore.metrics.balance.balance_frame`: production of the default
source, a country the world table does not list between 0 and "Other
countries", BACI trade in contained tonnes, intervals with their reasons, and
for the USA the USGS salient balance), its rival share and import HHI are over
its own imports, and its **intra-zone share** is the share of its imports that
come from the real zone's countries.

A member state's imports include those from the other states of its bloc,
which the bloc as one member counts as domestic: Germany's imports of a
mineral are larger than its share of ``EU27``'s.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from friendshore._core.errors import DataError, InputError, ValidationError
from friendshore._core.types import ISO3
from friendshore.metrics import assessment
from friendshore.metrics.assessment import MEMBER_COLUMNS
from friendshore.metrics.assessment import _has_data as has_trade_or_reliance
from friendshore.metrics.balance import KEYS, ZONE, balance_frame
from friendshore.metrics.dependence import import_dependence
from friendshore.metrics.risk import geopolrisk
from friendshore.metrics.shares import production_shares
from friendshore.metrics.us_published import us_balance_of
from friendshore.model.supply import SupplyNetwork
from friendshore.model.zone import Zone, expand

__all__ = [
    "COUNTRY_TABLE_COLUMNS",
    "CountryStanding",
    "alone_zone",
    "country_dependence",
    "country_member_rows",
    "country_standing",
    "dependence_rows",
    "reduced_trade",
]

#: Columns of :func:`dependence_rows` (``friendshore metrics dependence``): those of
#: :func:`friendshore.metrics.assessment.dependence_table`.
COUNTRY_TABLE_COLUMNS: list[str] = [
    "mineral_id",
    "stage",
    "year",
    "member",
    "imports_value_usd",
    "exports_value_usd",
    "imports_t",
    "exports_t",
    "production_t",
    "import_reliance",
    "import_reliance_min",
    "import_reliance_max",
    "import_reliance_note",
    "china_import_share_value",
    "china_import_share_qty",
    "intra_zone_share",
    "import_hhi",
]


@dataclass(frozen=True)
class CountryStanding:
    """Where a country (or bloc) stands in a zone, and what its dependence figures mean.

    Attributes
    ----------
    code
        The ISO3 code or bloc id asked for (``'zone'`` for the zone).
    countries
        The countries it stands for (ISO3, sorted).
    is_member
        ``True`` for a member of the zone and for ``'zone'``.
    member_of
        The member (a bloc such as ``EU27``) the country belongs to, for a
        member state inside a bloc member; else ``None``.
    note
        What the figures are, for a person (``None`` for a member).
    """

    code: str
    countries: tuple[str, ...]
    is_member: bool
    member_of: str | None
    note: str | None


def country_standing(zone: Zone, code: str) -> CountryStanding:
    """Whether ``code`` is a zone member, a member state of a bloc member, or outside.

    Parameters
    ----------
    zone
        The zone.
    code
        A member id, ``'zone'``, an ISO3 code or a bloc id (as
        :func:`friendshore.data.names.resolve_member` returns them).

    Raises
    ------
    ValidationError
        The code is neither a country nor a bloc, or it is (or contains) a
        rival of the zone, whose share of its own imports has no meaning.

    Examples
    --------
    >>> from friendshore.model.zone import default_zone
    >>> zone = default_zone()
    >>> country_standing(zone, "EU27").is_member, country_standing(zone, "DEU").member_of
    (True, 'EU27')
    >>> country_standing(zone, "CAN").note
    "CAN is a candidate, not a member of the zone: its own balance; the zone's rival (CHN)"
    """
    if code == ZONE:
        return CountryStanding(ZONE, tuple(sorted(zone.countries)), True, None, None)
    if code in zone.members:
        return CountryStanding(code, tuple(sorted(zone.members[code])), True, None, None)
    try:
        group = expand(code)
    except DataError as exc:
        raise ValidationError(exc.message) from None
    rivals = sorted(group & zone.rivals)
    if rivals:
        raise ValidationError(
            f"{code!r} is a rival of the zone, not a member ({', '.join(rivals)}): the rival's "
            "share of its own imports has no meaning; ask for a member, 'zone', or any other "
            "country (e.g. CAN)"
        )
    rival = f"the zone's rival ({', '.join(sorted(zone.rivals))})"
    owners = sorted({m for c in group if (m := zone.member_of(c)) is not None})
    if len(owners) == 1 and group <= zone.members[owners[0]]:
        bloc = owners[0]
        note = (
            f"{code} is a member state of {bloc}, not a zone member itself: its own balance, "
            f"with its imports from the other {bloc} states (which {bloc} as one member "
            f"counts as domestic); {rival}"
        )
        return CountryStanding(code, tuple(sorted(group)), False, bloc, note)
    what = "a candidate, not a member" if code in zone.candidates else "not a member"
    inside = f" (its countries {', '.join(sorted(group & zone.countries))} are)" if owners else ""
    note = f"{code} is {what} of the zone{inside}: its own balance; {rival}"
    return CountryStanding(code, tuple(sorted(group)), False, None, note)


def alone_zone(zone: Zone, code: str) -> Zone:
    """An ad-hoc zone whose one member is ``code`` (a country or bloc), with ``zone``'s rivals.

    Its member's material balance and dependence are those of the country on
    its own (trade among a bloc's own states domestic); the zone's other
    settings (rivals, partners, supply-risk parameters) are kept.
    """
    group = frozenset(ISO3(c) for c in expand(code))
    return replace(zone, name=code, members={code: group}, candidates=())


def reduced_trade(trade: pd.DataFrame, countries: frozenset[str]) -> pd.DataFrame:
    """The flows of ``countries`` and enough others for their balance to equal the whole frame's.

    Keeps every flow into or out of ``countries``, one other flow per mineral,
    stage and year (the balance has a row for every one traded) and one flow
    with a contained quantity per HS code, mineral and stage (a code has a
    content factor where any flow has ``content_t``;
    :func:`friendshore.metrics.balance.has_content_factor`). The flows kept
    between other countries never count in the countries' figures: they only
    keep the frame's keys, so results equal those on the whole frame (tested).
    """
    if trade.empty:
        return trade
    touch = trade["importer"].isin(list(countries)) | trade["exporter"].isin(list(countries))
    # a witness may touch the countries: it is then kept as one of their flows anyway
    witnesses = trade.drop_duplicates(KEYS).index
    if "content_t" in trade.columns:
        content = trade.loc[trade["content_t"].notna(), ["hs6", "mineral_id", "stage"]]
        witnesses = witnesses.union(content.drop_duplicates().index)
    keep = touch.to_numpy().copy()
    keep[trade.index.get_indexer(witnesses)] = True
    return trade[keep]


def country_dependence(
    network: SupplyNetwork,
    zone: Zone,
    code: str,
    *,
    minerals: list[str] | None = None,
    with_geopolrisk: bool = False,
) -> pd.DataFrame:
    """Dependence (fractions, USD, t) of one country or bloc on its own, per mineral, stage, year.

    Parameters
    ----------
    network
        The supply network.
    zone
        The zone: its rivals give the ``china_*`` columns and its countries the
        intra-zone share.
    code
        An ISO3 code or a bloc id (member of the zone or not; not a rival).
    minerals
        Only these minerals (all if ``None``).
    with_geopolrisk
        Add a ``geopolrisk`` column (:func:`friendshore.metrics.risk.geopolrisk`
        of the country).

    Returns
    -------
    pandas.DataFrame
        The rows of :func:`friendshore.metrics.dependence.import_dependence`
        (:data:`~friendshore.metrics.dependence.DEPENDENCE_COLUMNS`) for
        ``member = code`` alone, with ``intra_zone_value_usd`` and
        ``intra_zone_share`` measured against ``zone``.

    Notes
    -----
    The balance is that of the ad-hoc zone :func:`alone_zone`: net import
    reliance ``IR = (M − X) / (P + M − X)`` with ``M``, ``X`` the country's
    trade with every other country (for a member state, other states of its
    bloc included) and ``P`` its production, each an interval where the
    sources bound it (a country USGS does not list produced between 0 and
    "Other countries"). ``intra_zone_share = M_zone / M`` with ``M_zone`` the
    imports from the zone's countries other than the country's own.
    """
    group = frozenset(str(c) for c in expand(code))
    alone = alone_zone(zone, code)
    rows, totals = network.default_production()
    trade, bound = network.trade, network.bound_trade
    if minerals is not None:
        wanted = list(minerals)
        rows = rows[rows["mineral_id"].isin(wanted)]
        trade = trade[trade["mineral_id"].isin(wanted)]
        if not bound.empty:
            bound = bound[bound["mineral_id"].isin(wanted)]
    trade = reduced_trade(trade, group)
    bound = reduced_trade(bound, group)
    us = None
    if "USA" in group and not network.salient.empty:
        us = us_balance_of(network.salient)
    balance = balance_frame(trade, rows, alone, totals=totals, us=us, bound_trade=bound)
    dep = import_dependence(trade, rows, alone, totals=totals, balance=balance)
    keep = dep["member"] == code
    if minerals is not None:  # the U.S. salient balance adds rows of every mineral
        keep &= dep["mineral_id"].isin(list(minerals))
    dep = dep[keep].reset_index(drop=True)
    # intra-zone: the share of its imports from the zone's (other) countries
    others = [c for c in zone.countries if c not in group]
    into = trade[trade["importer"].isin(list(group)) & ~trade["exporter"].isin(list(group))]
    from_zone = (
        into[into["exporter"].isin(others)]
        .groupby(KEYS, sort=False)["value_usd"]
        .sum()
        .rename("_intra")
        .reset_index()
    )
    dep = dep.merge(from_zone, on=KEYS, how="left")
    dep["intra_zone_value_usd"] = dep["_intra"].fillna(0.0)
    value = dep["imports_value_usd"]
    dep["intra_zone_share"] = dep["intra_zone_value_usd"] / value.where(value > 0)
    dep = dep.drop(columns="_intra")
    if with_geopolrisk:
        shares = production_shares(rows, totals)
        gpr = geopolrisk(shares, trade, network.governance, alone, totals=totals)
        gpr = gpr.loc[gpr["member"] == code, [*KEYS, "geopolrisk"]]
        dep = dep.merge(gpr, on=KEYS, how="left")
    return dep


def dependence_rows(
    network: SupplyNetwork,
    zone: Zone,
    *,
    member: str,
    mineral: str,
    year: int | None = None,
) -> pd.DataFrame:
    """One member's, the zone's or any country's dependence for one mineral, per stage and year.

    The table of ``friendshore metrics dependence``, columns
    :data:`COUNTRY_TABLE_COLUMNS`: for a member and ``'zone'`` the rows of
    :func:`friendshore.metrics.assessment.dependence_table`; for any other
    country or bloc those of :func:`country_dependence`.

    Raises
    ------
    InputError
        No trade for the mineral, a year outside the data, or a rival
        (:func:`country_standing`).
    """
    standing = country_standing(zone, member)
    if standing.is_member:
        table = assessment.dependence_table(
            network, zone, member=member, mineral=mineral, year=year
        )
        return table[COUNTRY_TABLE_COLUMNS]
    trade = network.trade[network.trade["mineral_id"] == mineral]
    if trade.empty:
        raise InputError(f"no trade data for mineral {mineral!r}")
    if year is not None:
        assessment.check_year(year, trade["year"], what=f"trade data for {mineral}")
    dep = country_dependence(network, zone, member, minerals=[mineral])
    dep = dep[has_trade_or_reliance(dep)]
    if year is not None:
        dep = dep[dep["year"] == year]
    return dep[COUNTRY_TABLE_COLUMNS].sort_values(["stage", "year"]).reset_index(drop=True)


def country_member_rows(network: SupplyNetwork, zone: Zone, code: str) -> pd.DataFrame:
    """Every mineral × stage × year of one country, in the shape of :attr:`Assessment.members`.

    Columns :data:`friendshore.metrics.assessment.MEMBER_COLUMNS` (``mineral``,
    ``china_import_share`` the rival share of import value, ``geopolrisk`` of
    the country alone), the rows with trade or an import reliance; what the
    API's member profile and the dashboard's Member page show for a country
    that is not a zone member.
    """
    dep = country_dependence(network, zone, code, with_geopolrisk=True)
    dep = dep[has_trade_or_reliance(dep)]
    out = dep.rename(
        columns={
            "mineral_id": "mineral",
            "china_import_share_value": "china_import_share",
        }
    )
    out["geopolrisk"] = out["geopolrisk"].astype("float64").replace([np.inf, -np.inf], np.nan)
    return out[MEMBER_COLUMNS].reset_index(drop=True)
