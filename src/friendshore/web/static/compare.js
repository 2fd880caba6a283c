// Compare: several shipped scenarios side by side (GET /scenarios/compare?ids=…): a grouped bar
// chart of the zone's shortfall share per mineral × stage and scenario, the members' table with
// one column per scenario and its CSV; and a tornado of one scenario's zone shortfall against
// its main assumptions (GET /scenarios/{id}/sensitivity).
import { api, chart, el, fail, narrow, param, ready, setParam, status, table, tonnes, NA, SERIES } from "./common.js";

// Charts keep these heights (px) at every width (common.js chart keeps layout.height).
const ROW_PX = 22;
const MIN_PX = 260;
const DEFAULT_IDS = ["cn-gallium-germanium-2023", "cn-us-ga-ge-sb-2024", "cn-graphite-2023"];

const state = { scenarios: [], minerals: new Map(), payload: null, sensitivity: null, seq: 0 };
const $ = (id) => document.getElementById(id);
const isNum = (v) => typeof v === "number" && Number.isFinite(v);

// A share with one decimal; a non-zero that rounds to 0 is "<0.1%" (never "0.0%"); unknown "—".
export function share(v) {
  if (!isNum(v)) return NA;
  const p = 100 * v;
  if (p !== 0 && Math.abs(p) < 0.05) return p > 0 ? "<0.1%" : ">-0.1%";
  return `${p.toFixed(1)}%`;
}
// A change in percentage points, signed; a non-zero that rounds to 0 is "<+0.1" / ">-0.1".
function points(v) {
  if (!isNum(v)) return NA;
  const p = 100 * v;
  if (p !== 0 && Math.abs(p) < 0.05) return p > 0 ? "<+0.1" : ">-0.1";
  if (p === 0) return "0.0";
  return `${p > 0 ? "+" : ""}${p.toFixed(1)}`;
}
const mineralName = (id) => state.minerals.get(id) || id;
const layerLabel = (r) => `${mineralName(r.mineral)} ${r.stage}`;
const memberName = (m) => (m === "zone" ? "Zone total" : m);

function chosen() {
  return [...document.querySelectorAll("#scenario-list input[name=scenario]:checked")].map((b) => b.value);
}

// --- comparison ------------------------------------------------------------------------------
function drawKey(payload) {
  const key = $("compare-key");
  key.replaceChildren();
  payload.scenarios.forEach((s, i) => {
    key.append(el("li", {},
      el("span", { class: "swatch", "aria-hidden": "true",
        style: `display:inline-block;width:0.9em;height:0.9em;vertical-align:-0.1em;background:${SERIES[i % SERIES.length]}` }),
      ` (${i + 1}) ${s.id}: ${s.name} (baseline ${s.baseline_year}, ${s.months} months)`));
  });
}

function drawChart(payload) {
  const zoneRows = payload.rows.filter((r) => r.member === "zone");
  const labels = zoneRows.map(layerLabel);
  // every bar is labelled: a known 0 reads "0.0%", an unknown share "unknown" (never a silent gap)
  const traces = payload.scenarios.map((s, i) => ({
    type: "bar", orientation: "h", name: s.id,
    y: labels, x: zoneRows.map((r) => (isNum(r.shortfall_share[s.id]) ? 100 * r.shortfall_share[s.id] : 0)),
    marker: { color: SERIES[i % SERIES.length] },
    text: zoneRows.map((r) => (isNum(r.shortfall_share[s.id]) ? share(r.shortfall_share[s.id]) : "unknown")),
    textposition: "outside", cliponaxis: false, textfont: { size: 11 },
    customdata: zoneRows.map((r) => r.notes[s.id] || ""),
    hovertemplate: `%{y}<br>${s.id}: %{text}<br>%{customdata}<extra></extra>`,
  }));
  const height = Math.max(MIN_PX, 90 + labels.length * payload.scenarios.length * ROW_PX);
  const small = narrow();
  return chart($("compare-chart"), {
    id: "compare-plot",
    title: small ? "Zone shortfall by scenario (%)" : "The zone's shortfall by scenario (% of its baseline supply)",
    traces,
    layout: {
      barmode: "group", height, showlegend: false,
      margin: { l: small ? 110 : 170, r: small ? 50 : 60, t: 48, b: 48 },
      xaxis: { title: { text: "% of baseline supply" }, rangemode: "tozero", ticksuffix: "%" },
      yaxis: { automargin: true, autorange: "reversed" },
    },
    caption: "Zone total: the members' shortfall over their baseline supply. Colours as in the key above.",
  });
}

function csvRows(payload) {
  return payload.rows.map((r) => {
    const out = { member: r.member, mineral: r.mineral, stage: r.stage };
    for (const s of payload.scenarios) {
      out[`${s.id}_shortfall_share`] = r.shortfall_share[s.id];
      out[`${s.id}_shortfall_t`] = r.shortfall_t[s.id];
    }
    return out;
  });
}

function drawTable(payload) {
  const columns = [
    { key: "member", label: "Member", format: memberName },
    { key: "mineral", label: "Mineral", format: mineralName },
    { key: "stage", label: "Stage" },
    // phones: the key's numbers as headers, so that the shares fit the screen
    ...payload.scenarios.map((s, i) => ({
      key: s.id, label: narrow() ? `(${i + 1})` : s.id, num: true, format: share,
      title: (v, row) => (isNum(v) ? `${tonnes(row.tonnes[s.id])} a year short` : row.notes[s.id] || null),
    })),
  ];
  const rows = payload.rows.map((r) => ({
    member: r.member, mineral: r.mineral, stage: r.stage, tonnes: r.shortfall_t, notes: r.notes,
    ...Object.fromEntries(payload.scenarios.map((s) => [s.id, r.shortfall_share[s.id]])),
  }));
  const box = $("compare-table");
  box.replaceChildren(table(columns, rows, {
    id: "compare-rows",
    caption: "Shortfall as a share of each member's baseline supply; — : the member has no supply of the mineral "
      + "and stage in the scenario's baseline year (hover for the reason).",
  }));
  const csv = csvRows(payload);
  box.append(el("div", { class: "tools" }, el("button", {
    type: "button", class: "csv", "data-csv": "scenario-compare.csv",
    onclick: () => import("./common.js").then((c) => c.download("scenario-compare.csv", c.toCsv(csv))),
  }, "Download data (CSV)")));
}

async function compare(event) {
  if (event) event.preventDefault();
  const ids = chosen();
  if (!ids.length) {
    status("Pick at least one scenario.", { error: true });
    return;
  }
  const spare = Number($("spare").value) / 100;
  const seq = ++state.seq;
  const button = $("compare-run");
  button.disabled = true;
  status(`Running ${ids.length} scenario${ids.length > 1 ? "s" : ""}…`);
  try {
    const query = new URLSearchParams({ ids: ids.join(",") });
    if (spare !== 0.1) query.set("spare_fraction", String(spare));
    const payload = await api(`/scenarios/compare?${query}`);
    if (seq !== state.seq) return;
    state.payload = payload;
    setParam("ids", ids.join(","));
    $("compare-result").hidden = false;
    $("compare-line").textContent = payload.rows.length
      ? `${payload.zone}: ${payload.rows.filter((r) => r.member === "zone").length} mineral × stage layers `
        + `lose supply in at least one scenario (re-routing spare capacity ${Math.round(100 * payload.spare_fraction)}%).`
      : `No member of ${payload.zone} loses supply in these scenarios.`;
    drawKey(payload);
    drawTable(payload);
    status("");
    document.body.dataset.compared = ids.join(",");
    if (payload.rows.length) await drawChart(payload);
    else $("compare-chart").replaceChildren();
  } catch (err) {
    status(`Error: ${err.message}`, { error: true });
  } finally {
    button.disabled = false;
  }
}

// --- sensitivity -----------------------------------------------------------------------------
function layers(payload) {
  const seen = new Map();
  for (const r of payload.rows) seen.set(`${r.mineral}|${r.stage}`, r);
  return [...seen.values()];
}

function drawTornado() {
  const payload = state.sensitivity;
  const [mineral, stage] = $("sens-layer").value.split("|");
  const rows = payload.rows.filter((r) => r.mineral === mineral && r.stage === stage);
  const base = rows.length ? rows[0].zone_shortfall_share_base : null;
  const labels = rows.map((r) => r.label);
  const bar = (end, colour) => ({
    type: "bar", orientation: "h", name: `${end} value`, y: labels,
    base: rows.map(() => 100 * base),
    x: rows.map((r) => 100 * (r[`zone_shortfall_share_${end}`] - base)),
    marker: { color: colour },
    text: rows.map((r) => `${end} ${r[end]}: ${share(r[`zone_shortfall_share_${end}`])}`), textposition: "none",
    hovertemplate: "%{y}<br>%{text}<extra></extra>",
  });
  const title = `${mineralName(mineral)} ${stage}: zone shortfall ${share(base)} as run`;
  const height = Math.max(MIN_PX, 120 + rows.length * 2 * ROW_PX);
  $("sens-table").replaceChildren(table([
    { key: "label", label: "Assumption" },
    { key: "low", label: "Low", num: true },
    { key: "high", label: "High", num: true },
    { key: "zone_shortfall_share_low", label: "Shortfall at low", num: true, format: share },
    { key: "zone_shortfall_share_high", label: "Shortfall at high", num: true, format: share },
    { key: "change_share", label: "Change (pp)", num: true, format: points },
    { key: "change_t", label: "Change (t/yr)", num: true, format: tonnes },
  ], rows, { id: "sens-rows", caption: `${payload.name} (baseline ${payload.baseline_year}): `
    + `${mineralName(mineral)} ${stage}, largest change first` }));
  return chart($("tornado-chart"), {
    id: "tornado-plot",
    title: narrow() ? `${mineralName(mineral)}: shortfall ${share(base)}` : title,
    traces: [bar("low", SERIES[1]), bar("high", SERIES[0])],
    layout: {
      barmode: "overlay", height, showlegend: true,
      legend: { orientation: "h", x: 0, y: 1.02, yanchor: "bottom" },
      margin: { l: narrow() ? 110 : 170, r: 20, t: 80, b: 48 },
      xaxis: { title: { text: "zone shortfall, % of baseline supply" }, ticksuffix: "%" },
      yaxis: { automargin: true, autorange: "reversed" },
      shapes: [{ type: "line", xref: "x", yref: "paper", x0: 100 * base, x1: 100 * base, y0: 0, y1: 1,
        line: { color: "#000", width: 1, dash: "dot" } }],
    },
    caption: "Each bar runs from the zone's shortfall with the scenario as it is (dotted line) to the "
      + "shortfall with the assumption at its low or high value.",
    csv: { filename: `sensitivity-${payload.scenario}.csv`, rows: payload.rows },
  });
}

async function sensitivity() {
  const id = $("sens-scenario").value;
  const line = $("sens-status");
  const button = $("sens-run");
  button.disabled = true;
  line.textContent = "Running 7 runs…";
  line.classList.remove("error");
  try {
    const payload = await api(`/scenarios/${encodeURIComponent(id)}/sensitivity`);
    state.sensitivity = payload;
    const select = $("sens-layer");
    select.replaceChildren();
    for (const r of layers(payload)) {
      select.append(el("option", { value: `${r.mineral}|${r.stage}`, text: layerLabel(r) }));
    }
    if (!payload.rows.length) {
      line.textContent = `${payload.name}: no member loses supply; nothing to vary.`;
      $("sens-result").hidden = true;
      return;
    }
    line.textContent = "";
    $("sens-result").hidden = false;
    await drawTornado();
    document.body.dataset.sensitivity = id;
  } catch (err) {
    line.textContent = `Error: ${err.message}`;
    line.classList.add("error");
  } finally {
    button.disabled = false;
  }
}

async function main() {
  const [scenarios, minerals] = await Promise.all([api("/scenarios"), api("/minerals").catch(() => [])]);
  state.scenarios = scenarios;
  for (const m of minerals) state.minerals.set(m.mineral || m.mineral_id, m.name);
  const known = new Set(scenarios.map((s) => s.id));
  const asked = (param("ids") || "").split(",").filter(Boolean);
  const unknown = asked.filter((id) => !known.has(id));
  const picked = asked.length ? asked.filter((id) => known.has(id)) : DEFAULT_IDS.filter((id) => known.has(id));
  const list = $("scenario-list");
  const sens = $("sens-scenario");
  for (const s of scenarios) {
    list.append(el("label", {}, el("input", { type: "checkbox", name: "scenario", value: s.id,
      checked: picked.includes(s.id) }), ` ${s.id}`));
    sens.append(el("option", { value: s.id, text: `${s.date} · ${s.name}` }));
  }
  if (picked.length) sens.value = picked[0];
  $("compare-form").addEventListener("submit", compare);
  $("sens-run").addEventListener("click", sensitivity);
  $("sens-layer").addEventListener("change", () => drawTornado().catch(fail));
  ready();
  if (unknown.length) {
    status(`Scenario not found: ${unknown.join(", ")} (pick from the list).`, { error: true });
    return;
  }
  if (picked.length) await compare();
}

main().catch(fail);
