// Tariffs: run SMART for a shipped schedule (year, σ) and show trade creation and
// diversion by importing member and by mineral (US$); run the structural gravity GE of
// the zone's preference as a job and show welfare and real GDP change by country (%).
import {
  api, chart, el, fail, mineralLabel, memberLabel, narrow, num, pct, ready, status, table, usd, COLOURS, ApiError,
} from "./common.js";

let zone = null;
let minerals = [];
let schedules = [];

const EFFECTS = [
  { key: "creation_usd", name: "trade creation", color: COLOURS.blue },
  { key: "diversion_to_zone_usd", name: "diversion to zone suppliers", color: COLOURS.green },
  { key: "diversion_to_rest_usd", name: "diversion to rest of world", color: COLOURS.orange },
  { key: "diversion_to_rival_usd", name: "diversion to the rival (China)", color: COLOURS.vermillion },
];

const SUMMARY_COLUMNS = [
  { key: "value_usd", label: "Imports before", num: true, format: usd },
  { key: "creation_usd", label: "Creation", num: true, format: usd },
  { key: "diversion_to_zone_usd", label: "Diversion to zone", num: true, format: usd },
  { key: "diversion_to_rival_usd", label: "Diversion to rival", num: true, format: usd },
  { key: "diversion_to_rest_usd", label: "Diversion to rest", num: true, format: usd },
  { key: "total_change_usd", label: "Total change", num: true, format: usd },
  { key: "revenue_change_usd", label: "Tariff revenue change", num: true, format: usd },
  { key: "welfare_usd", label: "Welfare", num: true, format: usd },
];

function showMeta(id) {
  const s = schedules.find((x) => x.id === id);
  document.getElementById("schedule-meta").textContent = s
    ? `${s.name}${s.illustrative && !/illustrative/i.test(s.name) ? " (illustrative)" : ""}: ${s.rows} rate rows; baseline year ` +
      `${s.baseline_year ?? "latest in the store"}. Source: ${s.source}`
    : "";
}

function request() {
  const year = document.getElementById("smart-year").value;
  const sigma = document.getElementById("smart-sigma").value;
  return {
    schedule_id: document.getElementById("schedule-select").value,
    year: year === "" ? null : Number(year),
    sigma: sigma === "" ? null : Number(sigma),
  };
}

async function effectChart(box, id, title, rows, labels, csvName) {
  await chart(box, {
    id,
    title,
    traces: EFFECTS.map((e) => ({
      type: "bar", name: e.name, x: labels, y: rows.map((r) => r[e.key]), marker: { color: e.color },
      hovertemplate: `%{x}: ${e.name} US$%{y:,.0f}<extra></extra>`,
    })),
    layout: { title: { text: title, x: 0, xanchor: "left", y: 0.99, yref: "container", yanchor: "top", font: { size: 14 } },
      barmode: "relative", height: narrow() ? 460 : 380, legend: { orientation: "h", x: 0, y: 1.02, yanchor: "bottom" },
      margin: { l: 80, r: 20, t: narrow() ? 150 : 90, b: 60 }, yaxis: { title: { text: "change in imports (US$)" }, separatethousands: true },
      xaxis: { automargin: true } },
    caption: "Creation: change in the market's total imports from the price change; diversion: imports moved between " +
      "suppliers (sums to zero over a market). US dollars a year at BACI prices.",
    csv: { filename: csvName, rows },
  });
}

async function runSmart(event) {
  if (event) event.preventDefault();
  const button = document.getElementById("smart-run");
  button.disabled = true;
  delete document.body.dataset.ready;
  status("Running SMART…");
  try {
    const result = await api("/tariffs/smart", { method: "POST", body: JSON.stringify(request()) });
    await showSmart(result);
    status(`Ran ${result.schedule.id} on BACI ${result.year}.`);
    ready();
  } catch (err) {
    fail(err);
  } finally {
    button.disabled = false;
  }
}

async function showSmart(r) {
  document.getElementById("smart-result").hidden = false;
  const t = r.totals;
  document.getElementById("smart-line").textContent =
    `${r.schedule.name}${r.schedule.illustrative && !/illustrative/i.test(r.schedule.name) ? " (illustrative)" : ""}, BACI ${r.year}, ` +
    `σ ${r.sigma === null ? "from the elasticities file" : r.sigma}: ${num(r.flows_total)} flows in the markets hit.`;
  const cards = [
    ["card-value", "Imports in the markets hit", usd(t.value_usd)],
    ["card-creation", "Trade creation", usd(t.creation_usd)],
    ["card-diversion", "Trade diverted between suppliers", usd(t.diversion_gross_usd)],
    ["card-revenue", "Tariff revenue change", usd(t.revenue_change_usd)],
    ["card-welfare", "Consumer welfare", usd(t.welfare_usd)],
  ];
  document.getElementById("smart-cards").replaceChildren(...cards.map(([id, label, value]) =>
    el("div", { class: "card", id }, el("div", { class: "value", text: value }), el("div", { class: "label", text: label }))));
  const members = r.by_member;
  await effectChart(document.getElementById("members-chart"), "smart-members-plot",
    narrow() ? "By importing member (US$)" : "Creation and diversion by importing member (US$)", members,
    members.map((m) => (zone ? memberLabel(zone, m.member) : m.member)), `smart-${r.schedule.id}-members.csv`);
  document.getElementById("members-table").replaceChildren(table(
    [{ key: "member", label: "Importing member" }, ...SUMMARY_COLUMNS], members,
    { caption: "By importing member (US$)", id: "smart-members" }));
  const byMineral = r.by_mineral;
  await effectChart(document.getElementById("minerals-chart"), "smart-minerals-plot",
    narrow() ? "By mineral (US$)" : "Creation and diversion by mineral (US$)", byMineral,
    byMineral.map((m) => mineralLabel(minerals, m.mineral_id)), `smart-${r.schedule.id}-minerals.csv`);
  document.getElementById("minerals-table").replaceChildren(table(
    [{ key: "mineral_id", label: "Mineral", format: (v) => mineralLabel(minerals, v) }, ...SUMMARY_COLUMNS], byMineral,
    { caption: "By mineral (US$)", id: "smart-minerals" }));
  document.getElementById("flows-table").replaceChildren(table([
    { key: "importer", label: "Importer" }, { key: "exporter", label: "Exporter" },
    { key: "exporter_group", label: "Group" }, { key: "hs6", label: "HS6" },
    { key: "mineral_id", label: "Mineral", format: (v) => mineralLabel(minerals, v) },
    { key: "rate_before", label: "Rate before", num: true, format: (v) => pct(v, 1) },
    { key: "rate_after", label: "Rate after", num: true, format: (v) => pct(v, 1) },
    { key: "value_usd", label: "Imports before", num: true, format: usd },
    { key: "creation_usd", label: "Creation", num: true, format: usd },
    { key: "diversion_usd", label: "Diversion", num: true, format: usd },
    { key: "total_change_usd", label: "Total change", num: true, format: usd },
  ], r.flows, { caption: `The ${r.flows.length} largest changes of ${num(r.flows_total)} flows (US$)`, id: "smart-flows" }));
  document.getElementById("assumptions").replaceChildren(...r.assumptions.map((a) => el("li", { text: a })));
}

async function runGe() {
  const button = document.getElementById("ge-run");
  const bar = document.getElementById("ge-progress");
  const line = document.getElementById("ge-status");
  button.disabled = true;
  bar.value = 0;
  line.classList.remove("error");
  try {
    const join = document.getElementById("ge-join").value.trim().toUpperCase();
    const body = { data: document.getElementById("ge-data").value, sigma: Number(document.getElementById("ge-sigma").value),
      join: join || null };
    let job = await api("/tariffs/ge", { method: "POST", body: JSON.stringify(body) });
    while (job.status === "queued" || job.status === "running") {
      bar.value = job.progress;
      line.textContent = `${job.status}: step ${job.done} of ${job.total}`;
      await new Promise((resolve) => setTimeout(resolve, 300));
      job = await api(`/jobs/${job.id}`);
    }
    bar.value = job.progress;
    if (job.status === "failed") throw new ApiError(422, job.error.detail, job.error.field);
    await showGe(job.result);
  } catch (err) {
    line.textContent = `Error: ${err.message}`;
    line.classList.add("error");
  } finally {
    button.disabled = false;
  }
}

async function showGe(r) {
  const rows = [...r.countries].sort((a, b) => b.welfare_change_pct - a.welfare_change_pct);
  document.getElementById("ge-status").textContent =
    `done: ${r.experiment}; ${r.data}, ${r.year}, σ ${r.sigma}, ${r.variable} coefficient ${r.preference.toFixed(4)}` +
    `${r.coefficients.some((c) => c.variable === r.variable && c.origin === "assumed") ? " (ASSUMED, see the notes)" : ""}` +
    `${r.absent_zone_countries.length ? `; zone countries not in the data: ${r.absent_zone_countries.join(", ")}` : ""}.`;
  const notes = document.getElementById("ge-notes");
  notes.replaceChildren(...(r.notes || []).map((text) => {
    const li = document.createElement("li");
    li.textContent = text;
    return li;
  }));
  const labels = rows.map((c) => c.country);
  await chart(document.getElementById("ge-chart"), {
    id: "ge-welfare-plot",
    title: "Welfare and real GDP change by country (%)",
    traces: [
      { type: "bar", name: "welfare (E/P)", x: labels, y: rows.map((c) => c.welfare_change_pct),
        marker: { color: rows.map((c) => (c.member ? COLOURS.blue : COLOURS.grey)) },
        hovertemplate: "%{x}: welfare %{y:.3f}%<extra></extra>" },
      { type: "scatter", mode: "markers", name: "real GDP (Y/P)", x: labels, y: rows.map((c) => c.real_gdp_change_pct),
        marker: { color: COLOURS.orange, symbol: "diamond", size: 7 }, hovertemplate: "%{x}: real GDP %{y:.3f}%<extra></extra>" },
    ],
    layout: { height: 400, legend: { orientation: "h", x: 0, y: 1.02, yanchor: "bottom" }, margin: { l: 60, r: 20, t: 80, b: 70 },
      yaxis: { title: { text: "change from baseline (%)" } }, xaxis: { automargin: true, tickangle: -60 } },
    caption: "Bars: welfare change (blue: zone countries; grey: others); diamonds: real GDP change. Percent of the baseline.",
    csv: { filename: `ge-${r.formulation}.csv`, rows: r.countries },
  });
  const pctCol = (key, label) => ({ key, label, num: true, format: (v) => (v === null ? "—" : `${v.toFixed(3)}%`) });
  document.getElementById("ge-table").replaceChildren(table([
    { key: "country", label: "Country" }, { key: "member", label: "Zone", format: (v) => (v ? "yes" : "no") },
    pctCol("welfare_change_pct", "Welfare"), pctCol("real_gdp_change_pct", "Real GDP"),
    pctCol("exports_change_pct", "Exports"), pctCol("imports_change_pct", "Imports"),
    pctCol("terms_of_trade_change_pct", "Terms of trade"),
  ], rows, { caption: "Change from baseline by country (%)", id: "ge-countries" }));
}

async function main() {
  [zone, minerals, schedules] = await Promise.all([api("/zone"), api("/minerals"), api("/tariffs/schedules")]);
  const select = document.getElementById("schedule-select");
  for (const s of schedules) select.append(el("option", { value: s.id, text: `${s.name}${s.illustrative && !s.name.includes("illustrative") ? " (illustrative)" : ""}` }));
  select.value = schedules.some((s) => s.id === "us-301-critical-minerals") ? "us-301-critical-minerals" : schedules[0].id;
  showMeta(select.value);
  select.addEventListener("change", () => showMeta(select.value));
  document.getElementById("smart-form").addEventListener("submit", runSmart);
  document.getElementById("ge-run").addEventListener("click", runGe);
  await runSmart();
}

main().catch(fail);
