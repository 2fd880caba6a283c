// Stockpile: set the budget (US$ bn), the reserve (the zone or each member), the method, the Monte Carlo
// draws, the shortfall and carrying costs and, if wanted, a weighted historical scenario; size the stock
// as a job (POST /stockpile, progress polled); show tonnes, cost and days of cover per mineral × stage,
// the purchase cost by mineral, the budget frontier and the reference points (JOGMEC 60 days; US DoD).
import {
  api, chart, el, fail, mineralLabel, memberLabel, narrow, num, numbersShown, pct, ready, shorten, status, table, tonnes, usd,
  ApiError, COLOURS, ZONE_COLOUR,
} from "./common.js";

// Charts keep this height (px) whatever the window's width (common.js chart keeps layout.height).
const HEIGHTS = { cost: 400, frontier: 360 };

const state = { minerals: [], zone: null, result: null };
const $ = (id) => document.getElementById(id);
const isNum = (v) => typeof v === "number" && Number.isFinite(v);

async function poll(job) {
  const bar = $("stockpile-progress");
  const line = $("progress-line");
  while (job.status === "queued" || job.status === "running") {
    bar.value = job.progress;
    line.textContent = `${job.status}: ${num(job.done)} of ${num(job.total)} steps (draws, then the sizing)`;
    await new Promise((resolve) => setTimeout(resolve, 250));
    job = await api(`/jobs/${job.id}`);
  }
  bar.value = job.progress;
  line.textContent = `${job.status}: ${num(job.done)} of ${num(job.total)} steps`;
  if (job.status === "failed") throw new ApiError(422, job.error.detail, job.error.field);
  if (job.status === "cancelled") throw new ApiError(0, "the sizing was cancelled", null);
  return job.result;
}

function request() {
  const optional = (id, scale = 1) => ($(id).value === "" ? null : Number($(id).value) * scale);
  const scenario = $("scenario-select").value;
  const body = {
    budget_usd: Number($("budget").value) * 1e9,
    reserve: $("reserve").value,
    method: $("method").value,
    draws: Number($("draws").value),
    seed: Number($("seed").value),
    scenarios: scenario ? [{ id: scenario, weight: Number($("scenario-weight").value) / 100 }] : [],
  };
  const multiple = optional("shortfall-multiple");
  const rate = optional("carrying-rate", 0.01);
  if (multiple !== null) body.shortfall_multiple = multiple;
  if (rate !== null) body.carrying_rate = rate;
  return body;
}

async function run(event) {
  event.preventDefault();
  const button = $("stockpile-run");
  button.disabled = true;
  delete document.body.dataset.ready;
  status("Sizing the stockpile…");
  try {
    const job = await api("/stockpile", { method: "POST", body: JSON.stringify(request()) });
    const result = await poll(job);
    state.result = result;
    await show(result);
    status(`Sized: ${stockRows(result).filter((r) => isNum(r.tonnes) && r.tonnes > 0).length} minerals × stages stocked ` +
      `within ${usd(result.budget_usd)} (${result.method}, ${num(result.draws)} draws${result.scenarios.length ? ` and ${result.scenarios.length} scenario(s)` : ""}).`);
    ready();
  } catch (err) {
    fail(err);
  } finally {
    button.disabled = false;
  }
}

// --- the result ------------------------------------------------------------------------------
function stockRows(r) {
  return r.records;
}

function card(id, label, value, title) {
  return el("div", { class: "card", id, title },
    el("div", { class: "value", text: value }), el("div", { class: "label", text: label }));
}

function sum(rows, key) {
  return rows.reduce((a, r) => a + (isNum(r[key]) ? r[key] : 0), 0);
}

const label = (r) => `${mineralLabel(state.minerals, r.mineral)}, ${r.stage}` +
  (r.member && r.member !== "zone" ? ` (${r.member})` : "");

// The reference points: JOGMEC's 60 days of consumption of every mineral and stage sized, and the US DoD's
// 2025 plans (tonnes at the store's price, days of U.S. consumption).
function references(r) {
  const rows = stockRows(r);
  const jogmec = {
    reference: "JOGMEC: 60 days of consumption", mineral: "every mineral and stage with a price", stage: null,
    budget_usd: sum(rows, "jogmec_60d_cost_usd"), tonnes: sum(rows, "jogmec_60d_t"), days_of_consumption: 60,
    member: r.reserve === "member" ? "each member" : "zone", source: "JOGMEC target: 60 days (up to 180 for high-risk metals)",
  };
  return [jogmec, ...(r.references || [])];
}

async function show(r) {
  $("stockpile-result").hidden = false;
  const rows = stockRows(r);
  const stocked = rows.filter((x) => isNum(x.tonnes) && x.tonnes > 0);
  const t = r.totals;
  $("stockpile-line").textContent = `${rows.length} minerals × stages${r.reserve === "member" ? " × members" : ""} with a price; ` +
    `${stocked.length} stocked. Method: ${r.method}; budget ${usd(r.budget_usd)}; shortfall cost ${num(r.shortfall_cost_multiple, 1)} × price; ` +
    `carrying cost ${pct(r.carrying_rate, 1)} a year; disruptions: ${num(r.draws)} Monte Carlo draws` +
    `${r.scenarios.length ? ` and ${r.scenarios.map((s) => `${s.scenario} (${pct(s.weight, 0)} a year)`).join(", ")}` : ""}, baseline ${r.year}.`;
  $("stockpile-cards").replaceChildren(
    card("card-cost", "Purchase cost", usd(t.purchase_cost_usd)),
    card("card-carrying", "Carrying cost a year", usd(t.carrying_cost_usd_yr)),
    card("card-avoided", "Expected shortfall avoided a year", tonnes(t.expected_shortfall_avoided_t),
      `of ${tonnes(t.expected_shortfall_t)} expected without the stock`),
    card("card-marginal", "Marginal value of budget (US$ saved per US$)", num(r.marginal_value_usd_per_usd, 3)),
    card("card-jogmec", "60 days of consumption would cost", usd(t.jogmec_60d_cost_usd)),
  );
  document.body.dataset.purchase = String(t.purchase_cost_usd);
  $("stock-table").replaceChildren(table([
    { key: "mineral", label: "Mineral", format: (v) => mineralLabel(state.minerals, v) }, { key: "stage", label: "Stage" },
    { key: "member", label: "Reserve", format: (v) => (state.zone ? memberLabel(state.zone, v) : v) },
    { key: "tonnes", label: "Tonnes", num: true, format: tonnes },
    { key: "price_usd_t", label: "Price (US$/t)", num: true, format: (v) => num(v) },
    { key: "purchase_cost_usd", label: "Purchase cost", num: true, format: usd },
    { key: "carrying_cost_usd_yr", label: "Carrying a year", num: true, format: usd },
    { key: "days_of_cover", label: "Days of cover", num: true, format: (v, x) => (isNum(v) ? num(v, 1)
      : isNum(x.days_of_cover_min) || isNum(x.days_of_cover_max) ? `${num(x.days_of_cover_min, 1)}–${num(x.days_of_cover_max, 1)}` : "—") },
    { key: "jogmec_60d_t", label: "60 days (JOGMEC)", num: true, format: tonnes },
    { key: "expected_shortfall_t", label: "Expected shortfall a year", num: true, format: tonnes },
    { key: "expected_shortfall_avoided_t", label: "… avoided", num: true, format: tonnes },
    { key: "price_source", label: "Price source", format: (v) => (v ? shorten(v, 48) : "—"), title: (v) => v },
  ], rows, { caption: "Per mineral and stage (days of cover of apparent consumption; tonnes of the network's basis)", id: "stockpile-rows" }),
  el("div", { class: "tools" }, el("button", { type: "button", class: "csv", "data-csv": "stockpile.csv",
    onclick: () => import("./common.js").then((c) => c.download("stockpile.csv", c.toCsv(rows))) }, "Download data (CSV)")));
  $("reference-table").replaceChildren(table([
    { key: "reference", label: "Reference" },
    { key: "mineral", label: "Mineral", format: (v) => mineralLabel(state.minerals, v) },
    { key: "member", label: "Of" },
    { key: "budget_usd", label: "Cost", num: true, format: usd },
    { key: "tonnes", label: "Tonnes", num: true, format: tonnes },
    { key: "days_of_consumption", label: "Days of consumption", num: true, format: (v) => num(v, 1) },
    { key: "source", label: "Source" },
  ], references(r), { caption: "Reference points (tonnes at the store's latest prices)", id: "stockpile-references" }));
  numbersShown();
  const top = [...stocked].sort((a, b) => b.purchase_cost_usd - a.purchase_cost_usd).slice(0, 25);
  const charts = [];
  if (top.length) {
    charts.push(chart($("cost-chart"), {
      id: "cost-plot",
      title: narrow() ? "Cost and days of cover" : "Purchase cost and days of cover of the stock",
      traces: [
        { type: "bar", name: "purchase cost (US$ million)", x: top.map(label), y: top.map((x) => x.purchase_cost_usd / 1e6),
          marker: { color: ZONE_COLOUR }, hovertemplate: "%{x}: US$%{y:,.1f} million<extra></extra>" },
        { type: "scatter", mode: "markers", name: "days of cover", x: top.map(label), y: top.map((x) => x.days_of_cover),
          yaxis: "y2", marker: { color: COLOURS.orange, size: 10, symbol: "diamond" }, hovertemplate: "%{x}: %{y:,.0f} days<extra></extra>" },
      ],
      layout: { height: HEIGHTS.cost, legend: { orientation: "h", x: 0, y: 1.02, yanchor: "bottom" },
        margin: { l: 70, r: 60, t: narrow() ? 120 : 80, b: 110 }, xaxis: { automargin: true, tickangle: -30 },
        yaxis: { title: { text: "US$ million" }, rangemode: "tozero" },
        yaxis2: { title: { text: "days of cover" }, overlaying: "y", side: "right", rangemode: "tozero" } },
      caption: "The minerals and stages stocked, largest purchase first (at most 25); days of cover of apparent consumption.",
      csv: { filename: "stockpile-cost.csv", rows: top },
    }));
  } else {
    $("cost-chart").replaceChildren(el("p", { class: "note", id: "no-stock", text: "Nothing stocked: no expected shortfall is worth its carrying cost at this budget." }));
  }
  const frontier = r.frontier || [];
  charts.push(chart($("frontier-chart"), {
    id: "frontier-plot",
    title: narrow() ? "Budget frontier" : "Budget frontier: expected yearly cost and the shortfall avoided",
    traces: [
      { type: "scatter", mode: "lines+markers", name: "expected cost a year (US$ million)", x: frontier.map((f) => f.budget_usd / 1e9),
        y: frontier.map((f) => f.expected_cost_usd_yr / 1e6), line: { color: ZONE_COLOUR },
        hovertemplate: "budget US$%{x:,.2f} bn: US$%{y:,.1f} million a year<extra></extra>" },
      { type: "scatter", mode: "lines+markers", name: "expected shortfall avoided (t a year)", x: frontier.map((f) => f.budget_usd / 1e9),
        y: frontier.map((f) => f.avoided_t), yaxis: "y2", line: { color: COLOURS.orange, dash: "dash" },
        hovertemplate: "budget US$%{x:,.2f} bn: %{y:,.0f} t a year avoided<extra></extra>" },
    ],
    layout: { height: HEIGHTS.frontier, legend: { orientation: "h", x: 0, y: 1.02, yanchor: "bottom" },
      margin: { l: 70, r: 70, t: narrow() ? 120 : 80, b: 56 }, xaxis: { title: { text: "budget (US$ bn)" }, rangemode: "tozero" },
      yaxis: { title: { text: "expected cost (US$ million a year)" }, rangemode: "tozero" },
      yaxis2: { title: { text: "avoided (t a year)" }, overlaying: "y", side: "right", rangemode: "tozero" } },
    caption: "Each point: the best stock within that budget. Expected cost a year = carrying cost + expected shortfall cost; " +
      "more budget never raises it.",
    csv: { filename: "stockpile-frontier.csv", rows: frontier },
  }));
  $("frontier-table").replaceChildren(table([
    { key: "budget_usd", label: "Budget", num: true, format: usd },
    { key: "spent_usd", label: "Spent", num: true, format: usd },
    { key: "expected_cost_usd_yr", label: "Expected cost a year", num: true, format: usd },
    { key: "avoided_t", label: "Shortfall avoided a year", num: true, format: tonnes },
    { key: "marginal_value_usd_per_usd", label: "Marginal value", num: true, format: (v) => num(v, 3) },
  ], frontier, { caption: "Budget frontier", id: "stockpile-frontier" }));
  await Promise.all(charts);
}

// --- start -----------------------------------------------------------------------------------
async function main() {
  let scenarios = [];
  [state.zone, state.minerals, scenarios] = await Promise.all([api("/zone"), api("/minerals"), api("/scenarios")]);
  const select = $("scenario-select");
  for (const s of scenarios) select.append(el("option", { value: s.id, text: `${s.date} · ${s.name}` }));
  const budget = $("budget");
  const slider = $("budget-slider");
  budget.addEventListener("input", () => { slider.value = budget.value; });
  slider.addEventListener("input", () => { budget.value = slider.value; });
  $("stockpile-form").addEventListener("submit", run);
  ready();
}

main().catch(fail);
