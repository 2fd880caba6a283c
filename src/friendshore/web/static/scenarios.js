// Scenarios: pick a shipped scenario, edit its parameters (or its JSON), run it;
// see each member's loss, recovery by route and shortfall. Monte Carlo runs as a
// job whose progress the page polls.
import {
  api, chart, el, fail, narrow, pct, ready, status, table, tonnes, COLOURS, ApiError,
} from "./common.js";

let scenarios = [];
let current = null; // the scenario being edited (the API body)

function jsonBox() { return document.getElementById("scenario-json"); }

function syncJson() {
  jsonBox().value = JSON.stringify(current, null, 2);
}

function shockFields(shock, i) {
  const what = shock.type === "export_restriction"
    ? `${shock.country} export restriction on ${[...shock.minerals, ...shock.hs6.map((c) => `HS ${c}`)].join(", ")}`
    : shock.type === "production_loss" ? `${shock.country} production loss of ${shock.mineral} (${shock.stage})`
      : `by-product link: ${shock.mineral} from ${shock.host_mineral}`;
  const row = el("div", { class: "form-row" }, el("span", { text: `${i + 1}. ${what}` }));
  if ("share" in shock) {
    const id = `shock-${i}-share`;
    row.append(el("label", { for: id, text: "Share cut (%)" }),
      el("input", { type: "number", id, min: 0, max: 100, step: 1, value: Math.round(shock.share * 100),
        oninput: (e) => { current.shocks[i].share = Number(e.target.value) / 100; syncJson(); } }));
  }
  if ("duration_months" in shock) {
    const id = `shock-${i}-months`;
    row.append(el("label", { for: id, text: "Months" }),
      el("input", { type: "number", id, min: 1, max: 120, step: 1, value: shock.duration_months,
        oninput: (e) => { current.shocks[i].duration_months = Number(e.target.value); syncJson(); } }));
  }
  return row;
}

function showScenario(scenario) {
  current = structuredClone(scenario);
  const meta = scenarios.find((s) => s.id === scenario.id);
  document.getElementById("scenario-meta").textContent =
    `${scenario.name} (${scenario.date}). ${meta ? meta.measure : ""}. Source: ${scenario.source}`;
  const box = document.getElementById("shocks");
  box.replaceChildren(el("legend", { text: "Shocks" }));
  if (!scenario.shocks.length) box.append(el("p", { class: "note", text: "No direct trade or production shock." }));
  scenario.shocks.forEach((s, i) => box.append(shockFields(s, i)));
  document.getElementById("sharing").checked = scenario.response.sharing;
  document.getElementById("rerouting").checked = scenario.response.rerouting;
  document.getElementById("baseline-year").value = scenario.baseline_year;
  syncJson();
}

async function pick(id) {
  showScenario(await api(`/scenarios/${encodeURIComponent(id)}`));
}

function body() {
  try {
    return JSON.parse(jsonBox().value);
  } catch (err) {
    throw new ApiError(0, `the scenario JSON does not parse: ${err.message}`, null);
  }
}

async function run(event) {
  event.preventDefault();
  const button = document.getElementById("run");
  button.disabled = true;
  delete document.body.dataset.ready;
  status("Running the scenario…");
  try {
    const result = await api("/scenarios/run", { method: "POST", body: JSON.stringify(body()) });
    await showResult(result);
    status(`Ran ${result.scenario}.`);
    ready();
  } catch (err) {
    fail(err);
  } finally {
    button.disabled = false;
  }
}

// The stacked bars of each member × mineral × stage's loss: demand response, recovery by
// route, shortfall. The bars lie along the y axis, one row per label, so that long labels
// never collide (they did as rotated x labels on a phone); the legend sits at the right of
// the plot on a desktop and under it on a phone, clear of the title either way.
function resultChart(box, result, hit) {
  const small = narrow();
  const labels = hit.map((r) => `${r.member} · ${r.mineral} ${small ? `${r.stage.slice(0, 4)}.` : r.stage}`);
  const bar = (key, name, color) => ({
    type: "bar", name, marker: { color }, orientation: "h", y: labels, x: hit.map((r) => r[key]),
    hovertemplate: `%{y}: ${name} %{x:,.1f} t/yr<extra></extra>`,
  });
  const title = small ? "Loss: recovery by route, shortfall (t/yr)" : "Loss by member: recovered by route and shortfall (t/yr)";
  const common = {
    barmode: "stack",
    title: { text: title, x: 0, xanchor: "left", xref: "container", y: 1, yanchor: "top", yref: "container",
      pad: { t: 10, l: 4 }, font: { size: 14 } },
    xaxis: { title: { text: "tonnes a year (t/yr)" }, separatethousands: true, rangemode: "tozero" },
    yaxis: { automargin: true, autorange: "reversed", dtick: 1 },
  };
  const layout = small
    ? { ...common, height: 230 + 30 * hit.length, margin: { l: 10, r: 16, t: 44, b: 150 },
      legend: { orientation: "h", x: 0, xanchor: "left", y: 0, yanchor: "bottom", yref: "container" } }
    : { ...common, height: Math.max(320, 130 + 30 * hit.length), margin: { l: 10, r: 20, t: 48, b: 56 },
      legend: { orientation: "v", x: 1.02, xanchor: "left", y: 1, yanchor: "top" } };
  return chart(box, {
    id: "scenario-result",
    title,
    traces: [
      bar("demand_reduction_t", "demand response", COLOURS.purple),
      bar("recovered_rerouting_t", "re-routing", COLOURS.skyBlue),
      bar("recovered_sharing_t", "sharing among members", COLOURS.green),
      bar("recovered_stockpile_t", "stockpiles", COLOURS.yellow),
      bar("shortfall_t", "shortfall", COLOURS.vermillion),
    ],
    layout,
    caption: "Shortfall = loss − demand response − recovered; each bar's length is the member's loss of domestic supply " +
      "during the disruption. Rows marked 'Estimated: yes' rest on trade flows estimated where BACI has no usable rows " +
      "(each country consumes its share of world output, deficits met from producers' surpluses in proportion; see docs/cli.md).",
    csv: { filename: `scenario-${result.scenario}.csv`, rows: result.records },
  });
}

async function showResult(result) {
  const section = document.getElementById("result");
  section.hidden = false;
  const hit = result.records.filter((r) => r.lost_t > 0)
    .sort((a, b) => a.mineral.localeCompare(b.mineral) || a.stage.localeCompare(b.stage) || a.member.localeCompare(b.member));
  const totals = result.zone_totals.filter((r) => r.lost_t > 0);
  const lost = totals.reduce((s, r) => s + r.lost_t, 0);
  const short = totals.reduce((s, r) => s + r.shortfall_t, 0);
  document.getElementById("result-line").textContent = hit.length
    ? `${result.name}, ${result.baseline_year} baseline, ${result.months} months: ${hit.length} member × mineral × stage lose supply; ` +
      `the zone loses ${tonnes(lost)}/yr, the response recovers ${tonnes(lost - short)}/yr, shortfall ${tonnes(short)}/yr.`
    : `${result.name} (${result.baseline_year} baseline): no member of the zone loses supply.`;
  const chartBox = document.getElementById("result-chart");
  if (hit.length) await resultChart(chartBox, result, hit);
  else chartBox.replaceChildren();
  document.getElementById("result-table").replaceChildren(table([
    { key: "member", label: "Member" }, { key: "mineral", label: "Mineral" }, { key: "stage", label: "Stage" },
    { key: "baseline_t", label: "Baseline supply", num: true, format: tonnes },
    { key: "lost_t", label: "Lost", num: true, format: tonnes },
    { key: "demand_reduction_t", label: "Demand response", num: true, format: tonnes },
    { key: "recovered_rerouting_t", label: "Re-routing", num: true, format: tonnes },
    { key: "recovered_sharing_t", label: "Sharing", num: true, format: tonnes },
    { key: "recovered_stockpile_t", label: "Stockpiles", num: true, format: tonnes },
    { key: "shortfall_t", label: "Shortfall", num: true, format: tonnes },
    { key: "shortfall_share", label: "Shortfall share", num: true, format: (v) => pct(v, 1) },
    { key: "n1_coverage", label: "N-1 coverage", num: true, format: (v) => pct(v, 0) },
    { key: "estimated", label: "Estimated", format: (v) => (v ? "yes" : "no") },
  ], hit, { caption: "Members that lose supply (t/yr during the disruption)", id: "result-records" }));
  document.getElementById("totals-table").replaceChildren(table([
    { key: "mineral", label: "Mineral" }, { key: "stage", label: "Stage" },
    { key: "baseline_t", label: "Baseline supply", num: true, format: tonnes },
    { key: "lost_t", label: "Lost", num: true, format: tonnes },
    { key: "recovered_t", label: "Recovered", num: true, format: tonnes },
    { key: "shortfall_t", label: "Shortfall", num: true, format: tonnes },
    { key: "shortfall_share", label: "Shortfall share", num: true, format: (v) => pct(v, 1) },
  ], totals, { caption: "Zone totals (t/yr)", id: "result-totals" }));
}

async function monteCarlo() {
  const button = document.getElementById("mc-run");
  const bar = document.getElementById("mc-progress");
  const line = document.getElementById("mc-status");
  button.disabled = true;
  bar.value = 0;
  try {
    const request = { scenario: body(), draws: Number(document.getElementById("mc-draws").value),
      seed: Number(document.getElementById("mc-seed").value) };
    let job = await api("/scenarios/montecarlo", { method: "POST", body: JSON.stringify(request) });
    while (job.status === "queued" || job.status === "running") {
      bar.value = job.progress;
      line.textContent = `${job.status}: ${job.done} of ${job.total} draws`;
      await new Promise((resolve) => setTimeout(resolve, 300));
      job = await api(`/jobs/${job.id}`);
    }
    bar.value = job.progress;
    if (job.status === "failed") throw new ApiError(422, job.error.detail, job.error.field);
    const r = job.result;
    line.textContent = `done: ${r.draws} draws, seed ${r.seed}, ${r.mean_events_per_draw.toFixed(0)} restriction events per draw (${r.shortfall_basis}).`;
    const rows = r.records.filter((x) => x.shortfall_t_mean > 0)
      .sort((a, b) => (b.shortfall_share_mean ?? 0) - (a.shortfall_share_mean ?? 0)).slice(0, 15);
    document.getElementById("mc-result").replaceChildren(table([
      { key: "member", label: "Member" }, { key: "mineral", label: "Mineral" }, { key: "stage", label: "Stage" },
      { key: "baseline_t", label: "Baseline", num: true, format: tonnes },
      { key: "shortfall_t_mean", label: "Mean shortfall", num: true, format: tonnes },
      { key: "shortfall_share_mean", label: "Mean share", num: true, format: (v) => pct(v, 1) },
      { key: "shortfall_share_p95", label: "95th pct share", num: true, format: (v) => pct(v, 1) },
      { key: "p_exceed", label: `P(share > ${pct(r.threshold)})`, num: true, format: (v) => pct(v, 1) },
    ], rows, { caption: "Largest mean shortfall shares (pre-response, top 15)", id: "mc-table" }),
    el("div", { class: "tools" }, el("button", { type: "button", onclick: () => import("./common.js").then((c) =>
      c.download(`montecarlo-${r.scenario}.csv`, c.toCsv(r.records))) }, "Download data (CSV)")));
  } catch (err) {
    line.textContent = `Error: ${err.message}`;
    line.classList.add("error");
  } finally {
    button.disabled = false;
  }
}

async function main() {
  scenarios = await api("/scenarios");
  const select = document.getElementById("scenario-select");
  for (const s of scenarios) select.append(el("option", { value: s.id, text: `${s.date} · ${s.name}` }));
  select.value = scenarios.some((s) => s.id === "cn-gallium-germanium-2023") ? "cn-gallium-germanium-2023" : scenarios[0].id;
  select.addEventListener("change", () => pick(select.value).catch(fail));
  document.getElementById("sharing").addEventListener("change", (e) => { current.response.sharing = e.target.checked; syncJson(); });
  document.getElementById("rerouting").addEventListener("change", (e) => { current.response.rerouting = e.target.checked; syncJson(); });
  document.getElementById("baseline-year").addEventListener("input", (e) => { current.baseline_year = Number(e.target.value); syncJson(); });
  document.getElementById("scenario-form").addEventListener("submit", run);
  document.getElementById("mc-run").addEventListener("click", monteCarlo);
  await pick(select.value);
  ready();
}

main().catch(fail);
