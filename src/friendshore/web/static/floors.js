// Price floors: pick a reference file, a mineral and stage, set the reference price with a
// slider (US$ per tonne, or per kg for prices above US$10,000/t), the tariff mode and a CfD
// comparison; every change runs POST /floors/run for that mineral × stage and shows the levy
// per member × origin, consumer cost, tariff revenue, production gain, China's share of zone
// supply before and after, the CfD's fiscal cost and the assumptions.
import {
  api, chart, csvButton, el, fail, mineralLabel, narrow, num, numbersShown, param, pct, ready, setParam, status,
  table, tonnes, usd, COLOURS, CHINA_COLOUR, ZONE_COLOUR,
} from "./common.js";

// Prices at or above this (US$ per tonne) are shown per kilogram.
const PER_KG_FROM = 10000;
// Slider positions between its ends.
const SLIDER_STEPS = 400;
// Charts keep this height (px) whatever the window's width.
const HEIGHTS = { price: 380, money: 360, share: 320 };

const state = {
  files: [], minerals: [], zone: null, rules: [], file: null,
  base: null,          // the file's own reference for the chosen mineral × stage (US$/t, last year)
  override: null,      // the slider's reference (US$/t), or null: the file's
  result: null,
  seq: 0,
};

const $ = (id) => document.getElementById(id);

// --- units -------------------------------------------------------------------------------
function perKg() {
  return state.base !== null && state.base >= PER_KG_FROM;
}
function unitLabel() {
  return perKg() ? "US$/kg" : "US$/t";
}
function toUnit(usdPerT) {
  return perKg() ? usdPerT / 1000 : usdPerT;
}
function fromUnit(value) {
  return perKg() ? value * 1000 : value;
}
function price(usdPerT) {
  if (typeof usdPerT !== "number" || !Number.isFinite(usdPerT)) return "—";
  const v = toUnit(usdPerT);
  const digits = Math.abs(v) < 10 ? 2 : Math.abs(v) < 1000 ? 1 : 0;
  return `${v < 0 ? "-" : ""}US$${num(Math.abs(v), digits)}/${perKg() ? "kg" : "t"}`;
}

// --- the request -------------------------------------------------------------------------
// The rule chosen: the stage select's options are the mineral's rules (stage: product).
function chosenRule() {
  const index = $("stage-select").value;
  return index === "" ? null : state.rules[Number(index)] || null;
}

function stageName() {
  const rule = chosenRule();
  return rule ? rule.stage : "";
}

function years() {
  const from = Number($("year-from").value);
  const to = Number($("year-to").value);
  const out = [];
  for (let y = from; y <= to && out.length <= 40; y += 1) out.push(y);
  return out.length ? out : [from];
}

function request() {
  const rule = chosenRule();
  const body = {
    reference_id: $("reference-select").value,
    mineral_id: rule ? rule.mineral : $("mineral-select").value,
    stage: rule ? rule.stage : null,
    product: rule ? rule.product : null,
    mode: $("mode-select").value,
    years: years(),
    cfd: $("cfd-toggle").checked,
  };
  if (state.override !== null && rule) {
    body.reference_price = { mineral_id: rule.mineral, stage: rule.stage, product: rule.product ?? null,
      usd_per_t: state.override };
  }
  return body;
}

// --- selects -----------------------------------------------------------------------------
function fillMinerals() {
  const select = $("mineral-select");
  const ids = [...new Set(state.rules.map((r) => r.mineral))];
  select.replaceChildren(...ids.map((id) => el("option", { value: id, text: mineralLabel(state.minerals, id) })));
  const wanted = param("m");
  if (wanted && ids.includes(wanted)) select.value = wanted;
  fillStages();
}

function fillStages() {
  const select = $("stage-select");
  const mineral = $("mineral-select").value;
  const rules = state.rules.map((r, i) => ({ ...r, index: String(i) })).filter((r) => r.mineral === mineral);
  const several = rules.length > 1;
  select.replaceChildren(...rules.map((r) => el("option", { value: r.index,
    text: several ? `${r.stage}: ${r.product}` : r.stage })));
  const wanted = rules.find((r) => r.stage === param("stage") && (!param("product") || r.product === param("product")));
  if (wanted) select.value = wanted.index;
  showRule();
}

function showRule() {
  const f = state.file;
  const rule = chosenRule();
  const parts = [];
  if (f) {
    parts.push(`${f.name}${f.illustrative ? " (ILLUSTRATIVE: not policy)" : ""}${f.version ? `, version ${f.version}` : ""}` +
      `${f.date ? ` of ${f.date}` : ""}.`);
  }
  if (rule) {
    parts.push(`Rule: ${rule.product}, method ${rule.method}${rule.note ? ` (${rule.note})` : ""}.`);
  }
  if (f && f.source) parts.push(`Source: ${f.source}`);
  $("reference-meta").textContent = parts.join(" ");
}

async function loadFile(id) {
  const file = await api(`/floors/${encodeURIComponent(id)}`);
  state.file = file;
  state.rules = file.rules;
  fillMinerals();
}

// --- the slider --------------------------------------------------------------------------
function niceCeil(v) {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function setSlider(result) {
  const rows = result.market || [];
  const last = rows.length ? rows[rows.length - 1] : null;
  state.base = last ? last.reference_usd_per_t : null;
  const slider = $("ref-slider");
  if (state.base === null) {
    slider.disabled = true;
    $("ref-value").textContent = "no reference price in these years";
    return;
  }
  const markets = rows.map((r) => r.market_usd_per_t).filter((v) => typeof v === "number");
  const top = niceCeil(toUnit(Math.max(2 * state.base, 1.5 * Math.max(0, ...markets))));
  const step = top / SLIDER_STEPS;
  slider.disabled = false;
  slider.min = String(step);
  slider.max = String(top);
  slider.step = String(step);
  slider.value = String(toUnit(state.base));
  showSliderValue();
}

function showSliderValue() {
  const value = fromUnit(Number($("ref-slider").value));
  const own = state.override === null;
  $("ref-value").textContent = `${price(own ? state.base : value)}${own ? " (the file's reference)" : ""}`;
  $("ref-slider").setAttribute("aria-valuetext", $("ref-value").textContent);
}

// --- running -----------------------------------------------------------------------------
async function run({ reset = false } = {}) {
  const seq = ++state.seq;
  if (reset) state.override = null;
  delete document.body.dataset.ready;
  $("floor-run").disabled = true;
  status("Running the floor…");
  try {
    const result = await api("/floors/run", { method: "POST", body: JSON.stringify(request()) });
    if (seq !== state.seq) return;  // a newer run was asked for
    state.result = result;
    if (reset) setSlider(result);
    showSliderValue();
    await show(result, seq);
    if (seq !== state.seq) return;
    status(`Ran ${result.reference.id} for ${mineralLabel(state.minerals, $("mineral-select").value)}, ` +
      `${stageName()}, ${result.mode} levy, ${result.years[0]}–${result.years[result.years.length - 1]}.`);
    ready();
  } catch (err) {
    if (seq === state.seq) fail(err);
  } finally {
    if (seq === state.seq) $("floor-run").disabled = false;
  }
}

let timer = null;
function slid() {
  state.override = fromUnit(Number($("ref-slider").value));
  showSliderValue();
  delete document.body.dataset.ready;
  clearTimeout(timer);
  timer = setTimeout(() => run(), 200);
}

// --- showing -----------------------------------------------------------------------------
function card(id, label, value, title) {
  return el("div", { class: "card", id, title },
    el("div", { class: "value", text: value }), el("div", { class: "label", text: label }));
}

function sum(rows, key) {
  const vals = rows.map((r) => r[key]).filter((v) => typeof v === "number" && Number.isFinite(v));
  return vals.length ? vals.reduce((a, b) => a + b, 0) : null;
}

// Import-weighted levy per year over non-member origins (plain mean where no tonnage).
function levyByYear(levies) {
  const out = new Map();
  for (const r of levies) {
    if (r.origin_group === "member") continue;
    const e = out.get(r.year) || { w: 0, wl: 0, n: 0, l: 0, max: 0 };
    const w = typeof r.import_t === "number" && r.import_t > 0 ? r.import_t : 0;
    e.w += w; e.wl += w * (r.levy_usd_per_t || 0); e.n += 1; e.l += r.levy_usd_per_t || 0;
    e.max = Math.max(e.max, r.levy_usd_per_t || 0);
    out.set(r.year, e);
  }
  return new Map([...out].map(([y, e]) => [y, { mean: e.w > 0 ? e.wl / e.w : e.l / e.n, max: e.max }]));
}

async function show(r, seq) {
  $("floor-result").hidden = false;
  const market = r.market || [];
  const cfdRows = r.cfd || [];
  const lastYear = market.length ? market[market.length - 1].year : null;
  const last = market.length ? market[market.length - 1] : {};
  const levies = r.levies;
  const byYear = levyByYear(levies);
  const lastLevy = lastYear !== null && byYear.has(lastYear) ? byYear.get(lastYear) : { mean: 0, max: 0 };
  const production = market.map((m) => (typeof m.production_after_t === "number" && typeof m.zone_production_t === "number"
    ? m.production_after_t - m.zone_production_t : null));
  const gain = production.filter((v) => v !== null).reduce((a, b) => a + b, 0);
  $("floor-line").textContent = market.length
    ? `Reference ${price(last.reference_usd_per_t)} against a market (landed) price of ${price(last.market_usd_per_t)} ` +
      `in ${lastYear}; ${levies.length} levy rows (member × origin × year).`
    : "No market row for this mineral and stage in these years: no price or no trade.";
  const span = market.length ? `${market[0].year}–${lastYear}` : "";
  $("floor-cards").replaceChildren(
    card("card-levy", `Levy, ${lastYear ?? "—"} (import-weighted; highest ${price(lastLevy.max)})`, price(lastLevy.mean)),
    card("card-revenue", `Tariff revenue, ${span}`, usd(sum(market, "tariff_revenue_usd"))),
    card("card-consumer", `Consumer cost, ${span}`, usd(sum(market, "consumer_cost_usd"))),
    card("card-production", `Members' production gain, ${span}`, tonnes(gain)),
    card("card-china", `China's share of zone supply, ${lastYear ?? "—"}: before → after`,
      `${pct(last.china_share_before, 1)} → ${pct(last.china_share_after, 1)}`),
    card("card-cfd", r.cfd ? `CfD fiscal cost, ${span}` : "CfD fiscal cost (tick the CfD box)",
      r.cfd ? usd(sum(cfdRows, "fiscal_cost_usd")) : "—"),
  );
  document.body.dataset.levy = String(lastLevy.mean);
  showTables(r);
  numbersShown();
  if (!market.length) {
    for (const id of ["price-chart", "money-chart", "share-chart"]) $(id).replaceChildren();
    return;
  }
  const x = market.map((m) => m.year);
  const mean = x.map((y) => (byYear.has(y) ? toUnit(byYear.get(y).mean) : 0));
  const hover = (name) => `${name}: %{y:,.2f} ${unitLabel()} (%{x})<extra></extra>`;
  const charts = [];
  charts.push(chart($("price-chart"), {
    id: "price-plot",
    title: narrow() ? `Prices and levy (${unitLabel()})` : `Reference, market and zone price and the levy per year (${unitLabel()})`,
    traces: [
      { type: "bar", name: "levy (import-weighted)", x, y: mean, marker: { color: COLOURS.orange }, hovertemplate: hover("levy") },
      { type: "scatter", mode: "lines+markers", name: "reference", x, y: market.map((m) => toUnit(m.reference_usd_per_t)),
        line: { color: ZONE_COLOUR, dash: "dash" }, hovertemplate: hover("reference") },
      { type: "scatter", mode: "lines+markers", name: "market (landed, without the floor)", x,
        y: market.map((m) => toUnit(m.market_usd_per_t)), line: { color: COLOURS.grey }, hovertemplate: hover("market") },
      { type: "scatter", mode: "lines+markers", name: "price paid in the zone", x,
        y: market.map((m) => toUnit(m.zone_price_usd_per_t)), line: { color: COLOURS.black }, hovertemplate: hover("zone price") },
    ],
    layout: { height: HEIGHTS.price, barmode: "overlay", legend: { orientation: "h", x: 0, y: -0.2, yanchor: "top" },
      margin: { l: 70, r: 20, t: 48, b: 90 }, xaxis: { dtick: 1 }, yaxis: { title: { text: unitLabel() }, rangemode: "tozero" } },
    caption: "The levy keeps the price paid in the zone at the reference: it is the gap between the reference and the " +
      "landed offers from outside the zone, never below zero. Market: the import-weighted landed price of non-member " +
      "offers (CEPII BACI unit values) or the published price series the file names.",
    csv: { filename: `floor-${r.reference.id}-${$("mineral-select").value}-${stageName()}.csv`, rows: market },
  }));
  const money = [
    { key: "tariff_revenue_usd", name: "tariff revenue", color: ZONE_COLOUR, rows: market },
    { key: "consumer_cost_usd", name: "consumer cost", color: COLOURS.orange, rows: market },
  ];
  if (r.cfd) money.push({ key: "fiscal_cost_usd", name: "CfD fiscal cost", color: COLOURS.purple, rows: cfdRows });
  charts.push(chart($("money-chart"), {
    id: "money-plot",
    title: "Tariff revenue, consumer cost and CfD fiscal cost per year (US$)",
    traces: money.map((m) => ({ type: "bar", name: m.name, x: m.rows.map((q) => q.year), y: m.rows.map((q) => q[m.key]),
      marker: { color: m.color }, hovertemplate: `${m.name}: US$%{y:,.0f} (%{x})<extra></extra>` })),
    layout: { height: HEIGHTS.money, barmode: "group", legend: { orientation: "h", x: 0, y: -0.2, yanchor: "top" },
      margin: { l: 80, r: 20, t: 48, b: 80 }, xaxis: { dtick: 1 }, yaxis: { title: { text: "US$" }, separatethousands: true } },
    caption: "A contract for differences costs consumers nothing: the treasury pays reference − market index on members' " +
      "volumes (less any upside share).",
    csv: { filename: `floor-money-${$("mineral-select").value}-${stageName()}.csv`,
      rows: market.map((m) => ({ year: m.year, tariff_revenue_usd: m.tariff_revenue_usd, consumer_cost_usd: m.consumer_cost_usd,
        cfd_fiscal_cost_usd: (cfdRows.find((c) => c.year === m.year) || {}).fiscal_cost_usd ?? null })) },
  }));
  charts.push(chart($("share-chart"), {
    id: "share-plot",
    title: "China's share of zone supply before and with the floor",
    traces: [
      { type: "scatter", mode: "lines+markers", name: "before", x, y: market.map((m) => m.china_share_before),
        line: { color: CHINA_COLOUR }, hovertemplate: "before: %{y:.1%} (%{x})<extra></extra>" },
      { type: "scatter", mode: "lines+markers", name: "with the floor", x, y: market.map((m) => m.china_share_after),
        line: { color: ZONE_COLOUR }, hovertemplate: "with the floor: %{y:.1%} (%{x})<extra></extra>" },
    ],
    layout: { height: HEIGHTS.share, legend: { orientation: "h", x: 0, y: -0.2, yanchor: "top" },
      margin: { l: 60, r: 20, t: 48, b: 80 }, xaxis: { dtick: 1 }, yaxis: { tickformat: ".0%", rangemode: "tozero",
        title: { text: "share of zone supply (%)" } } },
    caption: "Rival (China) imports as a share of the zone's supply (members' production plus imports).",
    csv: { filename: `floor-china-share-${$("mineral-select").value}-${stageName()}.csv`,
      rows: market.map((m) => ({ year: m.year, china_share_before: m.china_share_before, china_share_after: m.china_share_after })) },
  }));
  await Promise.all(charts);
}

const LEVY_COLUMNS = () => [
  { key: "member", label: "Member" }, { key: "origin", label: "Origin" }, { key: "origin_group", label: "Group" },
  { key: "product", label: "Product", format: (v) => v || "—" },
  { key: "reference_usd_per_t", label: `Reference (${unitLabel()})`, num: true, format: price },
  { key: "landed_usd_per_t", label: `Landed (${unitLabel()})`, num: true, format: price },
  { key: "levy_usd_per_t", label: `Levy (${unitLabel()})`, num: true, format: price },
  { key: "ad_valorem", label: "Ad valorem", num: true, format: (v) => pct(v, 1) },
  { key: "import_t", label: "Imports", num: true, format: tonnes },
  { key: "import_usd", label: "Import value", num: true, format: usd },
];

function showLevies() {
  const r = state.result;
  if (!r) return;
  const year = Number($("levy-year").value);
  const rows = r.levies.filter((l) => l.year === year)
    .sort((a, b) => (b.levy_usd_per_t - a.levy_usd_per_t) || String(a.member).localeCompare(String(b.member)));
  $("levies-table").replaceChildren(
    rows.length
      ? table(LEVY_COLUMNS(), rows, { caption: `Levy per member and origin, ${year} (members' imports from each other pay nothing)`, id: "levies" })
      : el("p", { class: "note", text: "No import of this mineral and stage from outside the zone in that year." }),
    el("div", { class: "tools" }, csvButton(`floor-levies-${r.reference.id}-${$("mineral-select").value}-${stageName()}.csv`,
      r.levies, null, "Download every levy row (CSV)")),
  );
}

function showTables(r) {
  const yearsShown = [...new Set(r.levies.map((l) => l.year))].sort();
  const select = $("levy-year");
  const keep = Number(select.value);
  select.replaceChildren(...yearsShown.map((y) => el("option", { value: y, text: y })));
  if (yearsShown.length) select.value = String(yearsShown.includes(keep) ? keep : yearsShown[yearsShown.length - 1]);
  showLevies();
  const cfdByYear = new Map((r.cfd || []).map((c) => [c.year, c]));
  const rows = (r.market || []).map((m) => ({ ...m, cfd_fiscal_cost_usd: cfdByYear.has(m.year) ? cfdByYear.get(m.year).fiscal_cost_usd : null }));
  $("market-table").replaceChildren(table([
    { key: "year", label: "Year" },
    { key: "reference_usd_per_t", label: "Reference", num: true, format: price },
    { key: "market_usd_per_t", label: "Market", num: true, format: price },
    { key: "zone_price_usd_per_t", label: "Zone price", num: true, format: price },
    { key: "zone_demand_t", label: "Demand", num: true, format: tonnes },
    { key: "zone_production_t", label: "Production", num: true, format: tonnes },
    { key: "production_after_t", label: "Production with the floor", num: true, format: tonnes },
    { key: "imports_rival_t", label: "Imports from rivals", num: true, format: tonnes },
    { key: "imports_rival_after_t", label: "… with the floor", num: true, format: tonnes },
    { key: "tariff_revenue_usd", label: "Tariff revenue", num: true, format: usd },
    { key: "consumer_cost_usd", label: "Consumer cost", num: true, format: usd },
    { key: "producer_revenue_gain_usd", label: "Producers' gain", num: true, format: usd },
    { key: "china_share_before", label: "China share before", num: true, format: (v) => pct(v, 1) },
    { key: "china_share_after", label: "China share after", num: true, format: (v) => pct(v, 1) },
    { key: "cfd_fiscal_cost_usd", label: "CfD fiscal cost", num: true, format: usd },
  ], rows, { caption: "The market model per year (t, US$)", id: "floor-market" }));
  $("assumptions").replaceChildren(...r.assumptions.map((a) => el("li", { text: a })));
}

// --- start -------------------------------------------------------------------------------
async function main() {
  [state.zone, state.minerals, state.files] = await Promise.all([api("/zone"), api("/minerals"), api("/floors")]);
  const select = $("reference-select");
  select.replaceChildren(...state.files.map((f) => el("option", { value: f.id,
    text: `${f.name}${f.illustrative && !/illustrative/i.test(f.name) ? " (ILLUSTRATIVE)" : ""}` })));
  const wanted = param("ref");
  select.value = state.files.some((f) => f.id === wanted) ? wanted
    : state.files.some((f) => f.id === "illustrative") ? "illustrative" : state.files[0].id;
  await loadFile(select.value);
  select.addEventListener("change", () => {
    setParam("ref", select.value);
    loadFile(select.value).then(() => run({ reset: true })).catch(fail);
  });
  $("mineral-select").addEventListener("change", () => {
    setParam("m", $("mineral-select").value);
    fillStages();
    run({ reset: true });
  });
  $("stage-select").addEventListener("change", () => {
    const rule = chosenRule();
    if (rule) {
      setParam("stage", rule.stage);
      setParam("product", rule.product);
    }
    showRule();
    run({ reset: true });
  });
  $("ref-slider").addEventListener("input", slid);
  $("ref-reset").addEventListener("click", () => run({ reset: true }));
  $("mode-select").addEventListener("change", () => run());
  $("cfd-toggle").addEventListener("change", () => run());
  $("levy-year").addEventListener("change", showLevies);
  $("floor-form").addEventListener("submit", (event) => {
    event.preventDefault();
    run();
  });
  await run({ reset: true });
}

main().catch(fail);
