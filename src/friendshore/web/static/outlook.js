// Outlook: world demand (IEA STEPS / APS / NZE) against the zone's supply for a chosen mineral × stage:
// the band of the zone's demand across the scenarios against its supply (and a pipeline's capacity),
// the gap per scenario and year, China's projected share of world supply, every mineral's gap in a
// chosen year and the members' rows. One GET /outlook per pipeline (every scenario and year): the
// selects and scenario boxes only filter what the page holds.
import {
  api, chart, el, fail, mineralLabel, memberLabel, narrow, num, numbersShown, param, pct, ready, setParam, status,
  table, tonnes, COLOURS, CHINA_COLOUR,
} from "./common.js";

// Charts keep this height (px) whatever the window's width (common.js chart keeps layout.height).
const HEIGHTS = { band: 440, rival: 320 };
// A colour and a dash per IEA scenario.
const SCENARIOS = {
  STEPS: { color: COLOURS.blue, dash: "solid", name: "STEPS" },
  APS: { color: COLOURS.green, dash: "dash", name: "APS" },
  NZE: { color: COLOURS.purple, dash: "dot", name: "NZE" },
};
const SUPPLY_COLOUR = COLOURS.orange;
const ORDER = ["STEPS", "APS", "NZE"];

const state = { minerals: [], zone: null, outlooks: new Map(), payload: null, seq: 0 };
const $ = (id) => document.getElementById(id);
const isNum = (v) => typeof v === "number" && Number.isFinite(v);

// --- the payload -----------------------------------------------------------------------------
function rows() {
  return state.payload ? state.payload.rows : [];
}
function memberRows() {
  return state.payload ? state.payload.members || [] : [];
}
function rivalShare(r) {
  const key = state.payload ? state.payload.rival_key : "china_world_supply_share";
  return isNum(r[key]) ? r[key] : null;
}
function rivalName() {
  return state.payload && state.payload.rival_key === "china_world_supply_share" ? "China" : "The rivals";
}
const pipe = (r) => (isNum(r.pipeline_t) ? r.pipeline_t : 0);
// The ends of an interval the balance carries (the point where both agree): [low, high].
function ends(r, point, low, high) {
  if (isNum(r[point])) return [r[point], r[point]];
  return [isNum(r[low]) ? r[low] : null, isNum(r[high]) ? r[high] : null];
}
const demandEnds = (r) => ends(r, "zone_demand_t", "zone_demand_min_t", "zone_demand_max_t");
function supplyEnds(r) {
  const [lo, hi] = ends(r, "zone_supply_t", "zone_supply_min_t", "zone_supply_max_t");
  return [lo === null ? null : lo + pipe(r), hi === null ? null : hi + pipe(r)];
}
// Tonnes of an interval: the point, else "low–high", else "—".
function tonnesRange(r, point, low, high) {
  const [lo, hi] = ends(r, point, low, high);
  if (lo === null && hi === null) return "—";
  if (lo !== null && hi !== null && lo === hi) return tonnes(lo);
  // "a–b t"; with a negative end (a surplus) "a to b t", so that no minus sign follows the dash
  const dash = (lo !== null && lo < 0) || (hi !== null && hi < 0) ? " to " : "–";
  return `${lo === null ? "…" : tonnes(lo).slice(0, -2)}${dash}${hi === null ? "…" : tonnes(hi)}`;
}
// A share as a percentage; past 1,000% (a demand near zero) only its order is worth showing.
const share = (v, digits) => (v > 10 ? ">1,000%" : pct(v, digits));
function shareRange(r, point, low, high, digits = 0) {
  const [lo, hi] = ends(r, point, low, high);
  if (lo === null && hi === null) return "—";
  if (lo !== null && hi !== null && share(lo, digits) === share(hi, digits)) return share(lo, digits);
  if (lo !== null && lo > 10) return ">1,000%";
  return `${lo === null ? "…" : pct(lo, digits).slice(0, -1)}–${hi === null ? "…" : share(hi, digits)}`;
}
function chosenScenarios() {
  return [...document.querySelectorAll("#scenario-boxes input[name=scenario]:checked")].map((b) => b.value);
}

async function load(pipeline) {
  if (!state.outlooks.has(pipeline)) {
    const query = pipeline ? `?pipeline=${encodeURIComponent(pipeline)}` : "";
    state.outlooks.set(pipeline, await api(`/outlook${query}`));
  }
  return state.outlooks.get(pipeline);
}

// --- selects ---------------------------------------------------------------------------------
function fillMinerals() {
  const ids = [...new Set(rows().map((r) => r.mineral))]
    .sort((a, b) => mineralLabel(state.minerals, a).localeCompare(mineralLabel(state.minerals, b)));
  const select = $("mineral-select");
  const keep = select.value || param("m");
  select.replaceChildren(...ids.map((id) => el("option", { value: id, text: mineralLabel(state.minerals, id) })));
  if (keep && ids.includes(keep)) select.value = keep;
  else if (ids.includes("lithium")) select.value = "lithium";
  fillStages();
}

function fillStages() {
  const mineral = $("mineral-select").value;
  const stages = [...new Set(rows().filter((r) => r.mineral === mineral).map((r) => r.stage))].sort();
  const select = $("stage-select");
  const keep = select.value || param("stage");
  select.replaceChildren(...stages.map((s) => el("option", { value: s, text: s })));
  // default: a stage whose zone demand the balance gives (the first, else the first stage)
  const known = stages.find((s) => rows().some((r) => r.mineral === mineral && r.stage === s
    && demandEnds(r).some((v) => v !== null)));
  if (keep && stages.includes(keep)) select.value = keep;
  else if (known) select.value = known;
}

function fillYears() {
  const years = [...new Set(rows().map((r) => r.year))].sort((a, b) => a - b);
  const select = $("year-select");
  const keep = Number(select.value || param("year"));
  select.replaceChildren(...years.map((y) => el("option", { value: y, text: y })));
  if (years.includes(keep)) select.value = String(keep);
  else if (years.includes(2030)) select.value = "2030";
}

// --- showing ---------------------------------------------------------------------------------
function card(id, label, value, title) {
  return el("div", { class: "card", id, title },
    el("div", { class: "value", text: value }), el("div", { class: "label", text: label }));
}

function selected() {
  const mineral = $("mineral-select").value;
  const stage = $("stage-select").value;
  const scenarios = chosenScenarios();
  return rows()
    .filter((r) => r.mineral === mineral && r.stage === stage && scenarios.includes(r.scenario))
    .sort((a, b) => ORDER.indexOf(a.scenario) - ORDER.indexOf(b.scenario) || a.year - b.year);
}

// The band of an interval across rows, per year: [years, low, high] (ends(r) gives [low, high]).
function band(rs, endsOf) {
  const byYear = new Map();
  for (const r of rs) {
    const [lo, hi] = endsOf(r);
    if (lo === null && hi === null) continue;
    const e = byYear.get(r.year) || { lo: Infinity, hi: -Infinity, open: false };
    e.lo = Math.min(e.lo, lo ?? Infinity); e.hi = Math.max(e.hi, hi ?? -Infinity);
    e.open = e.open || lo === null || hi === null;
    byYear.set(r.year, e);
  }
  const years = [...byYear.keys()].sort((a, b) => a - b);
  const end = (v) => (Number.isFinite(v) ? v : null);  // an end no row bounds: not drawn
  return [years, years.map((y) => end(byYear.get(y).lo)), years.map((y) => end(byYear.get(y).hi)),
    years.some((y) => byYear.get(y).open)];
}

// Two traces: the low end (no legend) and the high end filled down to it.
function bandTraces(rs, endsOf, name, color, fill, { dash = "solid", width = 0, group = name, hover = null } = {}) {
  const [x, lo, hi, open] = band(rs, endsOf);
  if (!x.length) return [];
  if (open) name = `${name} (one end unknown)`;
  const line = { width, color, dash };
  const tip = (end) => (hover ? `${hover} %{x} (${end}): %{y:,.0f} t<extra></extra>` : undefined);
  return [
    { type: "scatter", mode: "lines", x, y: lo, line, showlegend: false, legendgroup: group, name: `${name} (low)`,
      hoverinfo: hover ? undefined : "skip", hovertemplate: tip("low") },
    { type: "scatter", mode: "lines", x, y: hi, line, fill: "tonexty", fillcolor: fill, name, legendgroup: group,
      hoverinfo: hover ? undefined : "skip", hovertemplate: tip("high") },
  ];
}

const FILLS = { STEPS: "rgba(0,114,178,0.16)", APS: "rgba(0,158,115,0.16)", NZE: "rgba(204,121,167,0.16)" };

function bandChart(rs) {
  const mineral = mineralLabel(state.minerals, $("mineral-select").value);
  const stage = $("stage-select").value;
  const traces = [];
  // each scenario's zone demand: a line where the balance fixes the zone's share, else a band
  for (const s of ORDER) {
    const part = rs.filter((r) => r.scenario === s);
    if (!part.length) continue;
    const look = SCENARIOS[s];
    traces.push(...bandTraces(part, demandEnds, `zone demand, ${look.name}`, look.color, FILLS[s],
      { dash: look.dash, width: 2, hover: `demand ${look.name}` }));
  }
  // the zone's supply (+ pipeline): the range across the scenarios (the IEA's supply is one base case)
  const piped = rs.some((r) => pipe(r) > 0);
  traces.push(...bandTraces(rs, supplyEnds, `zone supply${piped ? " + pipeline" : ""}`, SUPPLY_COLOUR,
    "rgba(230,159,0,0.22)", { width: 3, hover: "supply" }));
  const basis = [...new Set(rs.map((r) => r.demand_basis).filter(Boolean))].join("; ");
  const supplyBasis = [...new Set(rs.map((r) => r.supply_basis).filter(Boolean))].join("; ");
  return chart($("band-chart"), {
    id: "band-plot",
    title: narrow() ? `${mineral}, ${stage}: demand vs supply (t)` : `${mineral}, ${stage}: the zone's demand and supply by IEA scenario (t a year)`,
    traces,
    layout: { height: HEIGHTS.band, legend: { orientation: "h", x: 0, y: -0.18, yanchor: "top" },
      margin: { l: 80, r: 20, t: 48, b: 110 }, xaxis: { title: { text: "year" } },
      yaxis: { title: { text: "tonnes a year" }, rangemode: "tozero", separatethousands: true } },
    caption: `Demand per scenario (STEPS solid, APS dashed, NZE dotted): world demand × the zone's base-year share; ` +
      `shaded where the material balance bounds the share without fixing it. Demand basis: ${basis || "—"}. ` +
      `Supply: ${supplyBasis || "—"}. Source: ${state.payload.edition || "IEA"}; material balance (USGS MCS, CEPII BACI).`,
    csv: { filename: `outlook-${$("mineral-select").value}-${stage}.csv`, rows: rs },
  });
}

function rivalChart(rs) {
  const traces = [];
  for (const s of ORDER) {
    const part = rs.filter((r) => r.scenario === s && isNum(rivalShare(r)));
    if (!part.length) continue;
    traces.push({ type: "scatter", mode: "lines+markers", name: SCENARIOS[s].name, x: part.map((r) => r.year),
      y: part.map(rivalShare), line: { color: CHINA_COLOUR, dash: SCENARIOS[s].dash },
      hovertemplate: `${SCENARIOS[s].name} %{x}: %{y:.1%}<extra></extra>` });
  }
  if (!traces.length) {
    $("rival-chart").replaceChildren(el("p", { class: "note", id: "no-rival",
      text: `The IEA publishes no supply projection for this mineral and stage: no ${rivalName()} share.` }));
    return Promise.resolve(null);
  }
  return chart($("rival-chart"), {
    id: "rival-plot",
    title: `${rivalName()}'s projected share of world supply`,
    traces,
    layout: { height: HEIGHTS.rival, legend: { orientation: "h", x: 0, y: -0.2, yanchor: "top" },
      margin: { l: 60, r: 20, t: 48, b: 80 }, xaxis: { title: { text: "year" } },
      yaxis: { tickformat: ".0%", rangemode: "tozero", title: { text: "share of world supply" } } },
    caption: `${rivalName()}'s output over world output in the IEA's supply projections (its base case: the same under ` +
      "every demand scenario; after its last projected year the IEA's figure is held).",
    csv: { filename: `outlook-rival-share-${$("mineral-select").value}-${$("stage-select").value}.csv`,
      rows: rs.map((r) => ({ scenario: r.scenario, year: r.year, [state.payload.rival_key]: rivalShare(r) })) },
  });
}

const GAP_COLUMNS = () => [
  { key: "scenario", label: "Scenario" }, { key: "year", label: "Year" },
  { key: "world_demand_t", label: "World demand", num: true, format: tonnes },
  { key: "zone_share", label: "Zone share", num: true, format: (v, r) => shareRange(r, "zone_share", "zone_share_min", "zone_share_max", 1) },
  { key: "zone_demand_t", label: "Zone demand", num: true, format: (v, r) => tonnesRange(r, "zone_demand_t", "zone_demand_min_t", "zone_demand_max_t") },
  { key: "zone_supply_t", label: "Zone supply", num: true, format: (v, r) => tonnesRange(r, "zone_supply_t", "zone_supply_min_t", "zone_supply_max_t") },
  { key: "pipeline_t", label: "Pipeline", num: true, format: tonnes },
  { key: "gap_t", label: "Gap", num: true, format: (v, r) => tonnesRange(r, "gap_t", "gap_min_t", "gap_max_t") },
  { key: "self_sufficiency", label: "Self-sufficiency", num: true,
    format: (v, r) => shareRange(r, "self_sufficiency", "self_sufficiency_min", "self_sufficiency_max") },
  { key: "rival_share", label: `${rivalName()} share of world supply`, num: true, format: (v) => pct(v, 0) },
  { key: "supply_basis", label: "Supply basis" },
];

function showAll() {
  const year = Number($("year-select").value);
  const scenarios = chosenScenarios();
  $("all-heading").textContent = `Every mineral and stage in ${year}: the gap by scenario`;
  const byKey = new Map();
  for (const r of rows()) {
    if (r.year !== year || !scenarios.includes(r.scenario)) continue;
    const k = `${r.mineral}|${r.stage}`;
    const e = byKey.get(k) || { mineral: r.mineral, stage: r.stage, zone_share: r.zone_share, zone_share_min: r.zone_share_min,
      zone_share_max: r.zone_share_max, demand_basis: r.demand_basis, rows: {} };
    e.rows[r.scenario] = r;
    e[`gap_${r.scenario}`] = r.gap_t ?? r.gap_max_t;
    byKey.set(k, e);
  }
  const first = scenarios[0];
  const all = [...byKey.values()].sort((a, b) => (b[`gap_${first}`] ?? -Infinity) - (a[`gap_${first}`] ?? -Infinity));
  const columns = [
    { key: "mineral", label: "Mineral", format: (v) => mineralLabel(state.minerals, v) }, { key: "stage", label: "Stage" },
    { key: "zone_share", label: "Zone share", num: true, format: (v, r) => shareRange(r, "zone_share", "zone_share_min", "zone_share_max", 1) },
    ...scenarios.flatMap((s) => [
      { key: `gap_${s}`, label: `Gap ${s}`, num: true, format: (v, r) => (r.rows[s] ? tonnesRange(r.rows[s], "gap_t", "gap_min_t", "gap_max_t") : "—") },
      { key: `ss_${s}`, label: `Self-sufficiency ${s}`, num: true,
        format: (v, r) => (r.rows[s] ? shareRange(r.rows[s], "self_sufficiency", "self_sufficiency_min", "self_sufficiency_max") : "—") },
    ]),
    { key: "demand_basis", label: "Demand basis" },
  ];
  $("all-table").replaceChildren(
    table(columns, all, { caption: `The zone's gap (t a year) and self-sufficiency in ${year}, largest gap first (${first || "—"})`, id: "outlook-all" }),
    el("div", { class: "tools" }, el("button", { type: "button", class: "csv", "data-csv": `outlook-${year}.csv`,
      onclick: () => import("./common.js").then((c) => c.download(`outlook-${year}.csv`,
        c.toCsv(rows().filter((r) => r.year === year && scenarios.includes(r.scenario))))) }, "Download data (CSV)")),
  );
}

function showMembers() {
  const mineral = $("mineral-select").value;
  const stage = $("stage-select").value;
  const year = Number($("year-select").value);
  const scenarios = chosenScenarios();
  const ms = memberRows().filter((r) => r.mineral === mineral && r.stage === stage && r.year === year && scenarios.includes(r.scenario));
  $("members-table").replaceChildren(ms.length
    ? table([
      { key: "member", label: "Member", format: (v) => (state.zone ? memberLabel(state.zone, v) : v) },
      { key: "scenario", label: "Scenario" },
      { key: "share", label: "Share of world demand", num: true, format: (v, r) => shareRange(r, "share", "share_min", "share_max", 2) },
      { key: "demand_t", label: "Demand", num: true, format: (v, r) => tonnesRange(r, "demand_t", "demand_min_t", "demand_max_t") },
      { key: "supply_t", label: "Supply", num: true, format: (v, r) => tonnesRange(r, "supply_t", "supply_min_t", "supply_max_t") },
      { key: "pipeline_t", label: "Pipeline", num: true, format: tonnes },
      { key: "supply_basis", label: "Supply basis" },
    ], ms, { caption: `Members in ${year} (t a year)`, id: "outlook-members" })
    : el("p", { class: "note", text: "No member row for this mineral, stage and year." }));
}

async function show() {
  const seq = ++state.seq;
  delete document.body.dataset.ready;
  const rs = selected().map((r) => ({ ...r, rival_share: rivalShare(r) }));
  const mineral = $("mineral-select").value;
  const stage = $("stage-select").value;
  const year = Number($("year-select").value);
  const scenarios = chosenScenarios();
  $("outlook-result").hidden = false;
  const atYear = rs.filter((r) => r.year === year);
  const at = (s) => atYear.find((x) => x.scenario === s) || null;
  const last = (rs.filter((r) => isNum(r.rival_share)).sort((a, b) => a.year - b.year).at(-1)) || null;
  const p = state.payload;
  $("outlook-line").textContent = rs.length
    ? `${mineralLabel(state.minerals, mineral)}, ${stage}: the zone's share of world demand is ` +
      `${shareRange(rs[0], "zone_share", "zone_share_min", "zone_share_max", 1)} (${rs[0].allocation_method || p.allocation_method}, ` +
      `base year ${p.base_year}); demand basis: ${rs[0].demand_basis}.`
    : "No projection for this mineral and stage in the scenarios chosen.";
  $("outlook-cards").replaceChildren(
    ...ORDER.filter((s) => scenarios.includes(s)).map((s) =>
      card(`card-gap-${s}`, `Gap in ${year}, ${s} (zone demand − supply − pipeline)`,
        at(s) ? tonnesRange(at(s), "gap_t", "gap_min_t", "gap_max_t") : "—")),
    card("card-ss", `Self-sufficiency in ${year}, ${scenarios[0] || "—"}`,
      at(scenarios[0]) ? shareRange(at(scenarios[0]), "self_sufficiency", "self_sufficiency_min", "self_sufficiency_max") : "—"),
    card("card-rival", `${rivalName()}'s share of world supply, ${last ? last.year : "—"}`, pct(last ? last.rival_share : null, 0)),
  );
  document.body.dataset.gaps = JSON.stringify(Object.fromEntries(ORDER.map((s) => [s, at(s) ? ends(at(s), "gap_t", "gap_min_t", "gap_max_t") : null])));
  $("gap-table").replaceChildren(table(GAP_COLUMNS(), rs, { caption: `${mineralLabel(state.minerals, mineral)}, ${stage} (t a year)`, id: "outlook-gaps" }));
  showAll();
  showMembers();
  $("notes-list").replaceChildren(...(p.notes || []).map((n) => el("li", { text: n })));
  numbersShown();
  if (!rs.length) {
    $("band-chart").replaceChildren();
    $("rival-chart").replaceChildren();
  } else {
    await Promise.all([bandChart(rs), rivalChart(rs)]);
  }
  if (seq !== state.seq) return;
  status(`${p.edition}: scenarios ${scenarios.join(", ") || "none"}; base year ${p.base_year}` +
    `${$("pipeline-select").value ? `; with the pipeline ${$("pipeline-select").value}` : ""}.`);
  ready();
}

async function reload() {
  status("Loading the outlook…");
  delete document.body.dataset.ready;
  state.payload = await load($("pipeline-select").value);
  fillMinerals();
  fillYears();
  await show();
}

async function main() {
  let pipelines = [];
  [state.zone, state.minerals, pipelines] = await Promise.all([api("/zone"), api("/minerals"), api("/invest/pipelines")]);
  const select = $("pipeline-select");
  for (const p of pipelines) select.append(el("option", { value: p.id, text: `${p.id}${p.illustrative ? " (illustrative)" : ""}` }));
  const wanted = param("pipeline");
  if (wanted && pipelines.some((p) => p.id === wanted)) select.value = wanted;
  const scenarios = param("scenario");
  if (scenarios) {
    const keep = scenarios.split(",");
    for (const box of document.querySelectorAll("#scenario-boxes input[name=scenario]")) box.checked = keep.includes(box.value);
  }
  await reload();
  $("mineral-select").addEventListener("change", () => {
    setParam("m", $("mineral-select").value);
    fillStages();
    show().catch(fail);
  });
  $("stage-select").addEventListener("change", () => { setParam("stage", $("stage-select").value); show().catch(fail); });
  $("year-select").addEventListener("change", () => { setParam("year", $("year-select").value); show().catch(fail); });
  $("pipeline-select").addEventListener("change", () => { setParam("pipeline", $("pipeline-select").value); reload().catch(fail); });
  for (const box of document.querySelectorAll("#scenario-boxes input[name=scenario]")) {
    box.addEventListener("change", () => { setParam("scenario", chosenScenarios().join(",")); show().catch(fail); });
  }
}

main().catch(fail);
