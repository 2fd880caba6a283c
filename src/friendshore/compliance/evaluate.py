"""Evaluate a declaration against rule packs: every rule gives pass, fail or not-applicable.

Each result carries its reason and the figures behind it (qualifying value share
and threshold, the lots that failed, the suppliers that are foreign entities of
concern and why, the missing or expired evidence). Shares are compared exactly:
values are taken as the decimals they print as (``Fraction(str(x))``), so a share
exactly at a threshold passes (``>=``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from fractions import Fraction
from typing import Literal

import pandas as pd
import pydantic

from friendshore.compliance.declaration import Declaration, Lot, StageShare
from friendshore.compliance.rules import (
    DueDiligenceRule,
    FeocRule,
    OriginRule,
    Rule,
    RulePack,
)

__all__ = [
    "Evaluation",
    "Finding",
    "PackResult",
    "RuleResult",
    "Status",
    "evaluate",
    "evaluation_frame",
]

Status = Literal["pass", "fail", "not_applicable"]
Figure = float | int | str | None


class _Result(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)


class Finding(_Result):
    """The outcome of a rule for one lot (and one supplier, for FEOC findings)."""

    lot_id: str
    mineral: str
    entity: str | None = None
    status: Status
    reason: str
    figures: dict[str, Figure] = {}


class RuleResult(_Result):
    """The outcome of one rule, with its reason, figures and per-lot findings."""

    rule_id: str
    rule_type: str
    name: str
    status: Status
    reason: str
    figures: dict[str, Figure] = {}
    findings: list[Finding] = []


class PackResult(_Result):
    """The outcome of one rule pack on the evaluation date."""

    pack_id: str
    version: str
    jurisdiction: str
    valid_from: date
    valid_to: date | None
    status: Status
    reason: str
    rules: list[RuleResult]


class Evaluation(_Result):
    """A declaration evaluated against rule packs on a date.

    ``status`` is ``fail`` if any rule fails, ``pass`` if at least one passes and
    none fails, ``not_applicable`` if no rule applies.
    """

    declaration_id: str
    declaration_sha256: str
    evaluated_on: date
    status: Status
    packs: list[PackResult]


def _combine(statuses: Sequence[Status]) -> Status:
    if "fail" in statuses:
        return "fail"
    if "pass" in statuses:
        return "pass"
    return "not_applicable"


def _exact(x: float) -> Fraction:
    return Fraction(str(x))


def _pct(x: Fraction | float) -> str:
    return f"{float(x):.4g}" if isinstance(x, Fraction) else f"{x:.4g}"


def _stage_share(shares: list[StageShare], countries: frozenset[str]) -> Fraction:
    return sum((_exact(s.share) for s in shares if s.country in countries), Fraction(0))


def _outside_dates(
    valid_from: date | None, valid_to: date | None, on: date, what: str
) -> str | None:
    if valid_from is not None and on < valid_from:
        return f"{what} applies from {valid_from.isoformat()}; evaluation date {on} is before it"
    if valid_to is not None and on > valid_to:
        return f"{what} applied until {valid_to.isoformat()}; evaluation date {on} is after it"
    return None


def _not_applicable(rule: Rule, reason: str) -> RuleResult:
    return RuleResult(
        rule_id=rule.id, rule_type=rule.type, name=rule.name, status="not_applicable", reason=reason
    )


def _origin_lot(rule: OriginRule, lot: Lot, qualifying: frozenset[str]) -> Finding:
    threshold = _exact(rule.lot_value_added_threshold_share)
    recycling = rule.recycling()
    ext = _stage_share(lot.extraction, qualifying)
    proc = _stage_share(lot.processing, qualifying)
    figures: dict[str, Figure] = {
        "value_usd": lot.value_usd,
        "extraction_qualifying_share": float(ext),
        "processing_qualifying_share": float(proc),
        "lot_threshold_share": rule.lot_value_added_threshold_share,
        "recycler_country": lot.recycler_country,
    }
    if lot.recycler_country is not None and lot.recycler_country in recycling:
        status: Status = "pass"
        reason = f"recycled in {lot.recycler_country}, a qualifying recycling country"
    elif lot.extraction and ext >= threshold:
        status, reason = "pass", f"{_pct(ext)} of extraction value added in qualifying countries"
    elif lot.processing and proc >= threshold:
        status, reason = "pass", f"{_pct(proc)} of processing value added in qualifying countries"
    else:
        where = ", ".join(
            f"{stage} {'/'.join(f'{s.country} {s.share:g}' for s in shares) or 'none'}"
            for stage, shares in (("extraction", lot.extraction), ("processing", lot.processing))
        )
        recycled = (
            f"; recycled in {lot.recycler_country}, not a qualifying recycling country"
            if lot.recycler_country
            else ""
        )
        status = "fail"
        reason = (
            f"{_pct(ext)} of extraction and {_pct(proc)} of processing value added in "
            f"qualifying countries, below {_pct(threshold)} ({where}){recycled}"
        )
    return Finding(
        lot_id=lot.id, mineral=lot.mineral, status=status, reason=reason, figures=figures
    )


def _evaluate_origin(rule: OriginRule, declaration: Declaration, on: date) -> RuleResult:
    lots = [lot for lot in declaration.lots if rule.in_scope(lot.mineral)]
    if not lots:
        return _not_applicable(rule, "no lot of a mineral in the rule's scope")
    threshold = rule.product_threshold(on)
    if threshold is None:
        return _not_applicable(rule, f"the threshold schedule sets no threshold on {on}")
    qualifying = rule.qualifying()
    findings = [_origin_lot(rule, lot, qualifying) for lot in lots]
    total = sum((_exact(lot.value_usd) for lot in lots), Fraction(0))
    good = sum(
        (
            _exact(lot.value_usd)
            for lot, f in zip(lots, findings, strict=True)
            if f.status == "pass"
        ),
        Fraction(0),
    )
    failed = [f.lot_id for f in findings if f.status == "fail"]
    figures: dict[str, Figure] = {
        "qualifying_value_usd": float(good),
        "total_value_usd": float(total),
        "qualifying_value_share": float(good / total) if total else None,
        "threshold_share": threshold,
        "lots": len(lots),
        "failed_lots": ";".join(failed),
    }
    if total == 0:
        return RuleResult(
            rule_id=rule.id,
            rule_type=rule.type,
            name=rule.name,
            status="fail",
            reason="the lots in scope declare no value: the value share cannot be computed",
            figures=figures,
            findings=findings,
        )
    share = good / total
    ok = share >= _exact(threshold)
    failing = f"; lots failing: {', '.join(failed)}" if failed else ""
    reason = (
        f"qualifying value share {_pct(share)} {'>=' if ok else '<'} threshold "
        f"{_pct(threshold)}{failing}"
    )
    return RuleResult(
        rule_id=rule.id,
        rule_type=rule.type,
        name=rule.name,
        status="pass" if ok else "fail",
        reason=reason,
        figures=figures,
        findings=findings,
    )


def _evaluate_feoc(rule: FeocRule, declaration: Declaration) -> RuleResult:
    covered = frozenset(rule.covered_nations)
    threshold = _exact(rule.control_threshold_share)
    findings: list[Finding] = []
    lots = [lot for lot in declaration.lots if rule.in_scope(lot.mineral)]
    if not lots:
        return _not_applicable(rule, "no lot of a mineral in the rule's scope")
    for lot in lots:
        if not lot.suppliers:
            findings.append(
                Finding(
                    lot_id=lot.id,
                    mineral=lot.mineral,
                    status=rule.missing_ownership,
                    reason="no supplier declared: the chain cannot be shown to be free of FEOCs",
                )
            )
            continue
        for supplier in lot.suppliers:
            figures: dict[str, Figure] = {"country": supplier.country, "role": supplier.role}
            status: Status = "pass"
            reasons: list[str] = []
            if supplier.country in covered:
                status = "fail"
                reasons.append(f"incorporated in {supplier.country}, a covered nation")
            if supplier.government_holdings is None:
                if status == "pass":
                    status = rule.missing_ownership
                reasons.append("ownership data missing (government_holdings not declared)")
            else:
                for holding in supplier.government_holdings:
                    if holding.nation not in covered:
                        continue
                    figures[f"{holding.nation}_control_share"] = holding.control_share
                    if _exact(holding.control_share) >= threshold:
                        status = "fail"
                        parts = [
                            f"{label} {value:g}"
                            for label, value in (
                                ("board seats", holding.board_seats_share),
                                ("voting rights", holding.voting_rights_share),
                                ("equity", holding.equity_share),
                            )
                            if _exact(value) >= threshold
                        ]
                        reasons.append(
                            f"the government of {holding.nation} holds {', '.join(parts)} "
                            f"(>= {_pct(threshold)})"
                        )
            if not reasons:
                reasons.append(
                    f"incorporated in {supplier.country}; no covered-nation government holds "
                    f"{_pct(threshold)} or more"
                )
            findings.append(
                Finding(
                    lot_id=lot.id,
                    mineral=lot.mineral,
                    entity=supplier.name,
                    status=status,
                    reason="; ".join(reasons),
                    figures=figures,
                )
            )
    bad = [f for f in findings if f.status == "fail"]
    status_all: Status = "fail" if bad else "pass"
    if bad:
        reason = "; ".join(f"{f.entity or 'lot'} (lot {f.lot_id}): {f.reason}" for f in bad[:5]) + (
            f"; and {len(bad) - 5} more" if len(bad) > 5 else ""
        )
    else:
        reason = f"no foreign entity of concern among {len(findings)} supplier(s)"
    return RuleResult(
        rule_id=rule.id,
        rule_type=rule.type,
        name=rule.name,
        status=status_all,
        reason=reason,
        figures={
            "suppliers": len(findings),
            "feoc_entities": ";".join(sorted({f.entity or "" for f in bad})),
            "covered_nations": ";".join(rule.covered_nations),
            "control_threshold_share": rule.control_threshold_share,
        },
        findings=findings,
    )


def _evaluate_due_diligence(
    rule: DueDiligenceRule, declaration: Declaration, on: date
) -> RuleResult:
    lots = [lot for lot in declaration.lots if rule.in_scope(lot.mineral)]
    if not lots:
        return _not_applicable(rule, "no lot of a mineral in the rule's scope")
    findings: list[Finding] = []
    for lot in lots:
        for step in rule.steps:
            accepted = (
                None
                if step.accepted_standards is None
                else {s.casefold() for s in step.accepted_standards}
            )
            covering = [e for e in lot.evidence if step.step in e.oecd_steps]
            standard_ok = [
                e for e in covering if accepted is None or e.standard.casefold() in accepted
            ]
            valid = [e for e in standard_ok if e.valid_on(on)]
            figures: dict[str, Figure] = {"step": step.step, "reference": step.reference}
            if valid:
                e = valid[0]
                status: Status = "pass"
                reason = (
                    f"step {step.step}: {e.standard} {e.certificate_id} valid "
                    f"{e.valid_from} to {e.valid_to}"
                )
                figures["certificate_id"] = e.certificate_id
            elif standard_ok:
                status = "fail"
                e = max(standard_ok, key=lambda x: x.valid_to)
                when = "expired on" if e.valid_to < on else "valid only from"
                day = e.valid_to if e.valid_to < on else e.valid_from
                reason = f"step {step.step}: {e.standard} {e.certificate_id} {when} {day}"
                figures["certificate_id"] = e.certificate_id
            elif covering:
                status = "fail"
                found = ", ".join(sorted({e.standard for e in covering}))
                reason = (
                    f"step {step.step}: evidence from {found}, not an accepted standard "
                    f"({', '.join(step.accepted_standards or [])})"
                )
            else:
                status = "fail"
                reason = f"step {step.step} ({step.name}): no evidence"
            findings.append(
                Finding(
                    lot_id=lot.id,
                    mineral=lot.mineral,
                    status=status,
                    reason=reason,
                    figures=figures,
                )
            )
    bad = [f for f in findings if f.status == "fail"]
    if bad:
        reason = "; ".join(f"lot {f.lot_id}: {f.reason}" for f in bad[:5]) + (
            f"; and {len(bad) - 5} more" if len(bad) > 5 else ""
        )
    else:
        reason = f"all {len(rule.steps)} step(s) evidenced for {len(lots)} lot(s)"
    return RuleResult(
        rule_id=rule.id,
        rule_type=rule.type,
        name=rule.name,
        status="fail" if bad else "pass",
        reason=reason,
        figures={
            "lots": len(lots),
            "steps": len(rule.steps),
            "failed_lots": ";".join(sorted({f.lot_id for f in bad})),
        },
        findings=findings,
    )


def _evaluate_rule(rule: Rule, declaration: Declaration, on: date) -> RuleResult:
    outside = _outside_dates(rule.valid_from, rule.valid_to, on, f"rule {rule.id}")
    if outside:
        return _not_applicable(rule, outside)
    if isinstance(rule, OriginRule):
        return _evaluate_origin(rule, declaration, on)
    if isinstance(rule, FeocRule):
        return _evaluate_feoc(rule, declaration)
    return _evaluate_due_diligence(rule, declaration, on)


def _evaluate_pack(pack: RulePack, declaration: Declaration, on: date) -> PackResult:
    head = {
        "pack_id": pack.id,
        "version": pack.version,
        "jurisdiction": pack.jurisdiction,
        "valid_from": pack.valid_from,
        "valid_to": pack.valid_to,
    }
    outside = _outside_dates(pack.valid_from, pack.valid_to, on, f"pack {pack.id}")
    if outside:
        reason = f"{outside}: it does not apply"
        rules = [_not_applicable(rule, reason) for rule in pack.rules]
        return PackResult(**head, status="not_applicable", reason=reason, rules=rules)
    rules = [_evaluate_rule(rule, declaration, on) for rule in pack.rules]
    status = _combine([r.status for r in rules])
    counts = {s: sum(r.status == s for r in rules) for s in ("pass", "fail", "not_applicable")}
    reason = (
        f"{counts['pass']} passed, {counts['fail']} failed, "
        f"{counts['not_applicable']} not applicable"
    )
    return PackResult(**head, status=status, reason=reason, rules=rules)


def evaluate(declaration: Declaration, packs: Sequence[RulePack], *, on: date) -> Evaluation:
    """Evaluate ``declaration`` against ``packs`` on the date ``on``.

    Parameters
    ----------
    declaration
        The validated declaration.
    packs
        Rule packs; a pack (or rule) outside its validity on ``on`` gives
        not-applicable with the dates in its reason.
    on
        Evaluation date (e.g. the date the goods are entered or the vehicle acquired).

    Returns
    -------
    Evaluation
        Every pack and rule with status, reason and figures (shares are 0-1, values USD).
    """
    results = [_evaluate_pack(pack, declaration, on) for pack in packs]
    return Evaluation(
        declaration_id=declaration.id,
        declaration_sha256=declaration.sha256(),
        evaluated_on=on,
        status=_combine([p.status for p in results]),
        packs=results,
    )


def evaluation_frame(evaluation: Evaluation) -> pd.DataFrame:
    """Return one row per rule: pack, rule, status, value share and threshold (0-1), reason."""
    rows = [
        {
            "pack_id": pack.pack_id,
            "rule_id": rule.rule_id,
            "status": rule.status,
            "qualifying_value_share": rule.figures.get("qualifying_value_share"),
            "threshold_share": rule.figures.get("threshold_share"),
            "reason": rule.reason,
        }
        for pack in evaluation.packs
        for rule in pack.rules
    ]
    columns = [
        "pack_id",
        "rule_id",
        "status",
        "qualifying_value_share",
        "threshold_share",
        "reason",
    ]
    return pd.DataFrame(rows, columns=columns)
