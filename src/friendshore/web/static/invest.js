// Investment: pick a pipeline, budget, target year and objective; optimise the portfolio
// as a job (progress polled); show the chosen projects, capex and jobs by member and
// China's share of zone supply before and after; sweep the budget for the frontier.
import {
  api, chart, el, fail, mineralLabel, memberLabel, num, pct, ready, status, table, tonnes, usd, COLOURS, SERIES, ApiError,
} from "./common.js";

let zone = null;
let minerals = [];

async function poll(job, bar, line, unit) {
  while (job.status === "queued" || job.status === "running") {
    bar.value = job.progress;
    if (line) line.textContent = `${job.status}: ${job.done} of ${job.total} ${unit}`;
    await new Promise((resolve) => setTimeout(resolve, 250));
    job = await api(`/jobs/${job.id}`);
  }
  bar.value = job.progress;
  if (job.status === "failed") throw new ApiError(422, job.error.detail, job.error.field);
  return job.result;
}

function common() {
  const objective = document.getElementById("objective").value;
  return {
    pipeline: document.getElementById("pipeline-select").value,
    year: Number(document.getElementById("target-year").value),
    objective,
    scenarios: objective === "shortfall" ? [document.getElementById("scenario").value] : [],
  };
}

async function optimize(event) {
  event.preventDefault();
  const button = document.getElementById("optimize");
  button.disabled = true;
  delete document.body.dataset.ready;
  status("Optimising the portfolio…");
  try {
    const budget = document.getElementById("budget").value;
    const body = { ...common(), budget_usd: budget === "" ? null : Number(budget) * 1e6 };
    const job = await api("/invest/optimize", { method: "POST", body: JSON.stringify(body) });
    const result = await poll(job, document.getElementById("opt-progress"), null, "steps");
    await showPortfolio(result);
    status(`Optimised: ${result.chosen.length} projects chosen (${result.status}).`);
    ready();
  } catch (err) {
    fail(err);
  } finally {
    button.disabled = false;
  }
}

async function showPortfolio(r) {
  document.getElementById("opt-result").hidden = false;
  const capex = r.chosen.reduce((s, p) => s + p.capex_usd, 0);
  const jobs = r.chosen.reduce((s, p) => s + p.jobs_operation, 0);
  const cut = r.objective_before > 0 ? 1 - r.objective_after / r.objective_before : null;
  document.getElementById("opt-line").textContent =
    `${r.objective} objective, target year ${r.year}, budget ${r.budget_usd === null ? "unlimited" : usd(r.budget_usd)}: ` +
    `${num(r.objective_before, 4)} → ${num(r.objective_after, 4)} (${r.status}, gap ${pct(r.mip_gap, 2)}; ` +
    `${r.model.variables} variables, ${r.model.constraints} constraints).` +
    (r.budget_marginal_value_per_musd === null ? "" : ` Marginal value of budget: ${num(r.budget_marginal_value_per_musd, 5)} per extra US$ million.`);
  const cards = [
    ["card-projects", "Projects chosen", num(r.chosen.length)],
    ["card-capex", "Capex", usd(capex)],
    ["card-jobs", "Operating jobs", num(jobs)],
    ["card-cut", "Objective reduction", pct(cut, 1)],
  ];
  document.getElementById("opt-cards").replaceChildren(...cards.map(([id, label, value]) =>
    el("div", { class: "card", id }, el("div", { class: "value", text: value }), el("div", { class: "label", text: label }))));
  document.getElementById("chosen-table").replaceChildren(table([
    { key: "id", label: "Project" }, { key: "name", label: "Name" }, { key: "member", label: "Member" },
    { key: "country", label: "Country" }, { key: "mineral", label: "Mineral", format: (v) => mineralLabel(minerals, v) },
    { key: "stage", label: "Stage" },
    { key: "capacity_t_per_year", label: "Capacity", num: true, format: (v) => `${tonnes(v)}/yr` },
    { key: "capex_usd", label: "Capex", num: true, format: usd },
    { key: "start_year", label: "Start" }, { key: "online_year", label: "Online" },
    { key: "jobs_construction", label: "Construction jobs", num: true, format: (v) => num(v) },
    { key: "jobs_operation", label: "Operating jobs", num: true, format: (v) => num(v) },
  ], r.chosen, { caption: "Chosen projects (illustrative pipeline: invented projects)", id: "invest-chosen" }),
  el("div", { class: "tools" }, el("button", { type: "button", class: "csv", onclick: () => import("./common.js").then((c) =>
    c.download("invest-chosen.csv", c.toCsv(r.chosen))) }, "Download data (CSV)")));
  const members = r.by_member;
  const labels = members.map((m) => (zone ? memberLabel(zone, m.member) : m.member));
  // capex (left axis) and jobs (right axis) side by side: each trace its own offset group in
  // one alignment group, else the jobs bars are drawn over the capex bars
  await chart(document.getElementById("members-chart"), {
    id: "invest-members-plot",
    title: "Capex (US$ million) and operating jobs by member",
    traces: [
      { type: "bar", name: "capex (US$ million)", x: labels, y: members.map((m) => m.capex_usd / 1e6), marker: { color: COLOURS.blue },
        offsetgroup: 1, alignmentgroup: "members", hovertemplate: "%{x}: capex US$%{y:,.1f} million<extra></extra>" },
      { type: "bar", name: "operating jobs", x: labels, y: members.map((m) => m.jobs_operation), marker: { color: COLOURS.orange },
        yaxis: "y2", offsetgroup: 2, alignmentgroup: "members", hovertemplate: "%{x}: %{y:,} operating jobs<extra></extra>" },
    ],
    layout: { height: 360, barmode: "group", legend: { orientation: "h", x: 0, y: 1.02, yanchor: "bottom" },
      margin: { l: 70, r: 70, t: 80, b: 50 }, yaxis: { title: { text: "capex (US$ million)" } },
      yaxis2: { title: { text: "operating jobs" }, overlaying: "y", side: "right", rangemode: "tozero" }, xaxis: { automargin: true } },
    caption: "Capex of the chosen projects by the member hosting them (US$ million), and their jobs in operation.",
    csv: { filename: "invest-by-member.csv", rows: members },
  });
  document.getElementById("members-table").replaceChildren(table([
    { key: "member", label: "Member" }, { key: "n_projects", label: "Projects", num: true, format: (v) => num(v) },
    { key: "capex_usd", label: "Capex", num: true, format: usd },
    { key: "capex_share", label: "Capex share", num: true, format: (v) => pct(v, 1) },
    { key: "capacity_t_per_year", label: "Capacity", num: true, format: (v) => `${tonnes(v)}/yr` },
    { key: "jobs_construction", label: "Construction jobs", num: true, format: (v) => num(v) },
    { key: "jobs_operation", label: "Operating jobs", num: true, format: (v) => num(v) },
  ], members, { caption: "By member", id: "invest-members" }));
  const metrics = r.metrics;
  const mLabels = metrics.map((m) => `${mineralLabel(minerals, m.mineral)} ${m.stage}`);
  await chart(document.getElementById("metrics-chart"), {
    id: "invest-metrics-plot",
    title: "China's share of zone supply, before and after (%)",
    traces: [
      { type: "bar", name: "before", x: mLabels, y: metrics.map((m) => (m.china_zone_supply_share_before ?? null) === null ? null : 100 * m.china_zone_supply_share_before),
        marker: { color: COLOURS.vermillion }, hovertemplate: "%{x}: before %{y:.1f}%<extra></extra>" },
      { type: "bar", name: "after", x: mLabels, y: metrics.map((m) => (m.china_zone_supply_share_after ?? null) === null ? null : 100 * m.china_zone_supply_share_after),
        marker: { color: COLOURS.skyBlue }, hovertemplate: "%{x}: after %{y:.1f}%<extra></extra>" },
    ],
    layout: { height: 380, barmode: "group", legend: { orientation: "h", x: 0, y: 1.02, yanchor: "bottom" },
      margin: { l: 60, r: 20, t: 80, b: 70 }, yaxis: { title: { text: "China's share of zone supply (%)" }, range: [0, 100] },
      xaxis: { automargin: true, tickangle: -30 } },
    caption: "Per mineral and stage the pipeline touches, from the same metric functions as the assessment " +
      "(base year with the new output added). Missing bars: not computable (no zone supply data).",
    csv: { filename: "invest-metrics.csv", rows: metrics },
  });
  document.getElementById("metrics-table").replaceChildren(table([
    { key: "mineral", label: "Mineral", format: (v) => mineralLabel(minerals, v) }, { key: "stage", label: "Stage" },
    { key: "new_capacity_t", label: "New capacity", num: true, format: (v) => `${tonnes(v)}/yr` },
    { key: "china_zone_supply_share_before", label: "China share before", num: true, format: (v) => pct(v, 1) },
    { key: "china_zone_supply_share_after", label: "China share after", num: true, format: (v) => pct(v, 1) },
    { key: "zone_self_sufficiency_before", label: "Self-sufficiency before", num: true, format: (v) => pct(v, 1) },
    { key: "zone_self_sufficiency_after", label: "Self-sufficiency after", num: true, format: (v) => pct(v, 1) },
    { key: "supply_risk_before", label: "Supply risk before", num: true, format: (v) => num(v, 3) },
    { key: "supply_risk_after", label: "Supply risk after", num: true, format: (v) => num(v, 3) },
  ], metrics, { caption: "Before and after per mineral and stage (shares of zone supply)", id: "invest-metrics" }));
}

async function frontier() {
  const button = document.getElementById("frontier-run");
  const line = document.getElementById("frontier-status");
  button.disabled = true;
  line.classList.remove("error");
  try {
    const body = { ...common(), steps: Number(document.getElementById("frontier-steps").value) };
    const job = await api("/invest/frontier", { method: "POST", body: JSON.stringify(body) });
    const r = await poll(job, document.getElementById("frontier-progress"), line, "steps");
    line.textContent = `done: ${r.rows.length} budgets, ${r.objective} objective, target year ${r.year}.`;
    const rows = r.rows;
    await chart(document.getElementById("frontier-chart"), {
      id: "invest-frontier-plot",
      title: `Efficient frontier: ${r.objective} objective against budget`,
      traces: [{ type: "scatter", mode: "lines+markers", line: { shape: "hv", color: COLOURS.blue }, marker: { color: SERIES[0], size: 8 },
        name: "best objective", x: rows.map((x) => x.budget_usd / 1e6), y: rows.map((x) => x.objective),
        hovertemplate: "budget US$%{x:,.0f} million: objective %{y:.4f}<extra></extra>" }],
      layout: { height: 360, showlegend: false, margin: { l: 70, r: 20, t: 48, b: 56 },
        xaxis: { title: { text: "total budget (US$ million)" }, rangemode: "tozero" },
        yaxis: { title: { text: r.objective === "dependence" ? "risk-weighted China share (sum)" : "expected shortfall share" }, rangemode: "tozero" } },
      caption: "Each point: the best portfolio for that budget (HiGHS to a 0.01% gap). Lower is better.",
      csv: { filename: "invest-frontier.csv", rows },
    });
    document.getElementById("frontier-table").replaceChildren(table([
      { key: "budget_usd", label: "Budget", num: true, format: usd },
      { key: "objective", label: "Objective", num: true, format: (v) => num(v, 4) },
      { key: "reduction_share", label: "Reduction", num: true, format: (v) => pct(v, 1) },
      { key: "capex_usd", label: "Capex chosen", num: true, format: usd },
      { key: "n_projects", label: "Projects", num: true, format: (v) => num(v) },
      { key: "jobs_operation", label: "Operating jobs", num: true, format: (v) => num(v) },
    ], rows, { caption: "Efficient frontier", id: "invest-frontier" }));
  } catch (err) {
    line.textContent = `Error: ${err.message}`;
    line.classList.add("error");
  } finally {
    button.disabled = false;
  }
}

async function showPipeline(id) {
  const p = await api(`/invest/pipelines/${encodeURIComponent(id)}`);
  document.getElementById("pipeline-meta").textContent =
    `${p.projects} projects${p.illustrative ? " — ILLUSTRATIVE: invented projects, not real ones or cost estimates" : ""}. ${p.note.split("\n")[0]}`;
  document.getElementById("projects-table").replaceChildren(table([
    { key: "id", label: "Project" }, { key: "country", label: "Country" },
    { key: "mineral", label: "Mineral", format: (v) => mineralLabel(minerals, v) }, { key: "stage", label: "Stage" },
    { key: "capacity_t_per_year", label: "Capacity", num: true, format: (v) => `${tonnes(v)}/yr` },
    { key: "capex_usd", label: "Capex", num: true, format: usd },
    { key: "earliest_start_year", label: "Earliest start" }, { key: "lead_time_years", label: "Lead time (years)", num: true },
    { key: "status", label: "Status" }, { key: "standards", label: "Standards", format: (v) => v.join(", ") || "—" },
  ], p.rows, { caption: `Pipeline ${p.id}`, id: "invest-projects" }));
}

async function main() {
  let pipelines = [];
  let scenarios = [];
  [zone, minerals, pipelines, scenarios] = await Promise.all([
    api("/zone"), api("/minerals"), api("/invest/pipelines"), api("/scenarios")]);
  const select = document.getElementById("pipeline-select");
  for (const p of pipelines) select.append(el("option", { value: p.id, text: `${p.id}${p.illustrative ? " (illustrative)" : ""}` }));
  const scenario = document.getElementById("scenario");
  for (const s of scenarios) scenario.append(el("option", { value: s.id, text: `${s.date} · ${s.name}` }));
  const objective = document.getElementById("objective");
  objective.addEventListener("change", () => {
    const hide = objective.value !== "shortfall";
    scenario.hidden = hide;
    document.getElementById("scenario-label").hidden = hide;
  });
  select.addEventListener("change", () => showPipeline(select.value).catch(fail));
  document.getElementById("invest-form").addEventListener("submit", optimize);
  document.getElementById("frontier-run").addEventListener("click", frontier);
  await showPipeline(select.value);
  ready();
}

main().catch(fail);
