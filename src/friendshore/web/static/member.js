// Member: one member's dependence profile (import reliance, China's share of its
// imports, intra-zone sourcing, import concentration), latest year and trend.
import {
  api, chart, el, fail, memberLabel, mineralLabel, narrow, num, numbersShown, param, pct, ready, setParam, shorten,
  status, table, usd,
  SERIES,
} from "./common.js";

const TREND_LINES = 6;
let state = { zone: null, minerals: [] };

// Each mineral × stage at its latest year with imports (≤ the assessment year).
export function latestRows(rows, year) {
  const out = new Map();
  for (const r of rows) {
    if (r.year > year || r.imports_value_usd === null) continue;
    const key = `${r.mineral}|${r.stage}`;
    const prev = out.get(key);
    if (!prev || r.year > prev.year) out.set(key, r);
  }
  return [...out.values()];
}

// Net import reliance as a point or a range ("38–61%"), with its year where it is not the row's.
export function relianceText(r) {
  if (!r || r.nir_year === undefined) return "—";
  const range = r.nir !== null ? pct(r.nir, 0)
    : `${(100 * r.nir_min).toFixed(0)}–${pct(r.nir_max, 0)}`;
  return r.nir_year === r.year ? range : `${range} (${r.nir_year})`;
}

// Join each row with its mineral × stage's net import reliance at the latest year that has
// both production and trade (the API's `reliance`), which may be older than the row's year.
export function withReliance(rows, reliance) {
  const by = new Map(reliance.map((x) => [`${x.mineral}|${x.stage}`, x]));
  return rows.map((r) => {
    const x = by.get(`${r.mineral}|${r.stage}`);
    return x ? { ...r, nir: x.import_reliance, nir_min: x.import_reliance_min, nir_max: x.import_reliance_max,
      nir_year: x.year, nir_note: x.import_reliance_note } : { ...r, nir: null };
  });
}

// USGS's published U.S. net import reliance as written ("44%", ">50%", "net exporter").
export function publishedText(text) {
  if (text === null || text === undefined || String(text).trim() === "") return "—";
  const t = String(text).trim();
  if (t.toUpperCase() === "E") return "net exporter";
  if (["NA", "W", "XX"].includes(t.toUpperCase())) return "—";
  return /^[<>]?\s*\d+(\.\d+)?$/.test(t) ? `${t.replace(/\s/g, "")}%` : t;
}

const AGREE = ["within 5 pp", "inside published bound"];

function computedText(x) {
  if (x.net_import_reliance_min === null || x.net_import_reliance_max === null) return "—";
  if (x.net_import_reliance !== null) return pct(x.net_import_reliance, 0);
  return `${(100 * x.net_import_reliance_min).toFixed(0)}–${pct(x.net_import_reliance_max, 0)}`;
}

// The cell of the "USGS published" column: USGS's figure for the row's mineral, with the
// difference from the figure computed from USGS's components (pp), or "≠" where they differ.
export function usgsText(list, year) {
  if (!list || !list.length) return "—";
  return list.map((x) => {
    const series = list.length > 1 && x.series ? `${x.series}: ` : "";
    const when = x.year !== year ? ` (${x.year})` : "";
    const diff = x.difference_pp !== null && x.difference_pp !== undefined
      ? ` (${x.difference_pp >= 0 ? "+" : ""}${x.difference_pp.toFixed(1)} pp)`
      : AGREE.includes(x.agreement) ? "" : " ≠";
    return `${series}${publishedText(x.published_text)}${when}${diff}`;
  }).join("; ");
}

// Tooltip: the computed figure, USGS's, whether they agree and why not.
export function usgsTitle(list) {
  if (!list || !list.length) return "";
  return list.map((x) => `${x.commodity}${x.series ? ` (${x.series})` : ""} ${x.year}: computed from USGS ` +
    `salient components ${computedText(x)}; USGS published ${publishedText(x.published_text)} (${x.release}); ` +
    `${x.agreement}${x.reason ? `: ${x.reason}` : ""}`).join("\n");
}

// China's share of imports as a cell's text: one decimal below 10%, "<0.1%" for a trace,
// "0%" for none at all, "" where the member has no imports of the stage (no cell).
export function heatText(v) {
  if (typeof v !== "number" || !Number.isFinite(v)) return "";
  if (v === 0) return "0%";
  if (v < 0.001) return "<0.1%";
  return pct(v, v < 0.1 ? 1 : 0);
}

// Colours of the heat map (0 → 100%): near-white for little or none, through orange to a
// dark vermillion, so that the few stages China dominates stand out (a dark-at-zero scale
// such as Cividis painted most of the map in the colour of "almost nothing").
export const HEAT_SCALE = [[0, "#f7f7f7"], [0.1, "#fde3c4"], [0.3, "#f6b26b"], [0.5, "#e98a2d"],
  [0.7, "#D55E00"], [1, "#7a2a00"]];

// The heat map of China's share of the member's imports, mineral × stage, with each
// cell's value written in it, on hover (with the year and the import value) and in a table.
function heatMap(member, heat) {
  const rowsLabel = [...new Set(heat.map((r) => mineralLabel(state.minerals, r.mineral)))].reverse();
  const stages = ["mining", "processing", "components"].filter((s) => heat.some((r) => r.stage === s));
  const cell = (name, s) => heat.find((x) => mineralLabel(state.minerals, x.mineral) === name && x.stage === s);
  const z = rowsLabel.map((name) => stages.map((s) => {
    const r = cell(name, s);
    return r && typeof r.china_import_share === "number" ? r.china_import_share : null;
  }));
  const text = z.map((row) => row.map(heatText));
  const hover = rowsLabel.map((name) => stages.map((s) => {
    const r = cell(name, s);
    if (!r) return "no imports of this stage";
    return `${heatText(r.china_import_share) || "unknown"} of ${usd(r.imports_value_usd)} imports (${r.year})`;
  }));
  const box = document.getElementById("heatmap");
  const drawn = chart(box, {
    id: "member-heatmap",
    title: narrow() ? `${member}: China's share of imports` : `${member}: China's share of imports (value), latest year`,
    traces: [{ type: "heatmap", x: stages, y: rowsLabel, z, text, customdata: hover, colorscale: HEAT_SCALE,
      zmin: 0, zmax: 1, texttemplate: "%{text}", textfont: { size: 11 },
      colorbar: { title: { text: "China" }, tickformat: ".0%", thickness: 12 }, xgap: 2, ygap: 2,
      hovertemplate: "%{y}, %{x}: %{customdata}<extra></extra>", hoverongaps: false }],
    layout: { height: Math.max(300, 110 + 22 * rowsLabel.length), yaxis: { automargin: true, dtick: 1 },
      xaxis: { side: "top" }, margin: { l: 10, r: 20, t: 70, b: 10 } },
    caption: "Source: CEPII BACI; imports from outside the member, by value, at each mineral and stage's latest " +
      "year with imports. Each cell gives China's share; blank: no imports of that stage.",
    csv: { filename: `china-import-share-${member}.csv`, rows: heat,
      columns: ["member", "mineral", "stage", "year", "china_import_share", "china_import_share_qty", "imports_value_usd"] },
  });
  // the same values as a table (mineral × stage), folded under the chart
  const rows = [...rowsLabel].reverse().map((name) => Object.fromEntries([["mineral", name],
    ...stages.map((s) => [s, (cell(name, s) || {}).china_import_share ?? null])]));
  box.append(el("details", {}, el("summary", { text: "The heat map as a table" }), table([
    { key: "mineral", label: "Mineral" },
    ...stages.map((s) => ({ key: s, label: s, num: true,
      format: (v, r) => (cell(r.mineral, s) ? heatText(v) || "unknown" : "no imports") })),
  ], rows, { caption: `${member}: China's share of imports (value) by mineral and stage`, id: "heatmap-table" })));
  return drawn;
}

async function render(member) {
  status("Loading…");
  const profile = await api(`/members/${encodeURIComponent(member)}`);
  // any country or bloc: the API resolves the id (can -> CAN) and says whether it is a member
  member = profile.member;
  const outside = profile.is_member === false;
  const label = outside ? `${profile.name} (${member})` : memberLabel(state.zone, member);
  let banner = document.getElementById("member-banner");
  if (!banner) {
    banner = el("p", { id: "member-banner", class: "verdict", role: "note" });
    document.getElementById("member-line").after(banner);
  }
  banner.textContent = outside
    ? `${profile.note}. "From zone members": its share of imports from the zone's countries.` : "";
  banner.hidden = !outside;
  if (outside && document.getElementById("member-select").selectedOptions[0]) {
    document.getElementById("member-select").selectedOptions[0].text = label;
  }
  document.getElementById("title").textContent = `Member: ${label}`;
  document.title = `${label} · friendshore`;
  document.getElementById("member-line").textContent =
    `${profile.name}: ${profile.countries.length} ${profile.countries.length === 1 ? "country" : "countries"}` +
    ` (${profile.countries.join(", ")}). Trade: CEPII BACI, ${Math.min(...profile.rows.map((r) => r.year))}–${profile.year}.`;
  const usgs = new Map();
  for (const x of profile.us_published || []) usgs.set(x.mineral_id, [...(usgs.get(x.mineral_id) || []), x]);
  const latest = withReliance(latestRows(profile.rows, profile.year), profile.reliance || [])
    .map((r) => (usgs.size
      ? { ...r, usgs_published: usgsText(usgs.get(r.mineral), r.year), usgs_detail: usgsTitle(usgs.get(r.mineral)) }
      : r))
    .sort((a, b) => (b.china_import_share ?? -1) - (a.china_import_share ?? -1));
  const over = latest.filter((r) => (r.china_import_share ?? 0) > 0.5);
  const totalImports = latest.reduce((s, r) => s + (r.imports_value_usd || 0), 0);
  const card = (id, value, text) => el("div", { class: "card", id },
    el("div", { class: "value", text: value }), el("div", { class: "label", text }));
  document.getElementById("cards").replaceChildren(
    card("card-over", String(over.length), `mineral stages where China supplies over half of ${member}'s imports (by value)`),
    card("card-imports", usd(totalImports), `imports of the ${latest.length} mineral stages traded, latest year`),
    card("card-top", latest.length ? pct(latest[0].china_import_share) : "—",
      latest.length ? `China's share of ${member}'s ${mineralLabel(state.minerals, latest[0].mineral)} ${latest[0].stage} imports (${latest[0].year})` : ""),
  );

  const heat = [...latest].sort((a, b) => a.mineral.localeCompare(b.mineral));
  const heatmap = heatMap(member, heat);

  document.getElementById("profile").replaceChildren(table([
    { key: "mineral", label: "Mineral", href: (r) => `/mineral?m=${encodeURIComponent(r.mineral)}`,
      format: (v) => mineralLabel(state.minerals, v) },
    { key: "stage", label: "Stage" },
    { key: "year", label: "Year" },
    { key: "nir", label: "Net import reliance (latest year with production and trade)", num: true,
      format: (v, r) => relianceText(r) },
    ...(usgs.size ? [{ key: "usgs_published", label: "USGS published (all forms; difference from USGS components)",
      num: true, format: (v) => v, title: (v, r) => r.usgs_detail }] : []),
    { key: "china_import_share", label: "China share of imports (value)", num: true, format: (v) => pct(v, 1) },
    { key: "intra_zone_share", label: "From zone members", num: true, format: (v) => pct(v, 1) },
    { key: "import_hhi", label: "Import HHI (0–10,000)", num: true, format: (v) => num(v) },
    { key: "imports_value_usd", label: "Imports", num: true, format: usd },
  ], latest, { caption: `${label}: dependence by mineral and stage (latest year with trade)`, id: "profile-table" }),
  el("div", { class: "tools" }, el("button", { type: "button", onclick: () => import("./common.js").then((c) =>
    c.download(`dependence-${member}.csv`, c.toCsv(latest))) }, "Download data (CSV)")));
  numbersShown();

  const picks = latest.slice(0, TREND_LINES);
  const trend = profile.rows.filter((r) => picks.some((p) => p.mineral === r.mineral && p.stage === r.stage));
  const trendChart = chart(document.getElementById("trend"), {
    id: "member-trend",
    title: narrow() ? `${member}: China's share of imports by year`
      : `${member}: China's share of imports (value) by year, ${picks.length} most China-dependent mineral stages`,
    traces: picks.map((p, i) => {
      const rows = trend.filter((r) => r.mineral === p.mineral && r.stage === p.stage);
      const name = `${shorten(mineralLabel(state.minerals, p.mineral), narrow() ? 16 : 40)} (${p.stage})`;
      return { type: "scatter", mode: "lines+markers", name, x: rows.map((r) => r.year), y: rows.map((r) => r.china_import_share),
        line: { color: SERIES[i] }, hovertemplate: `${name}: %{y:.1%} (%{x})<extra></extra>` };
    }),
    layout: { height: 400, yaxis: { tickformat: ".0%", range: [0, 1.02], title: { text: "share of import value (%)" } },
      xaxis: { dtick: 1, title: { text: "year" } } },
    caption: "Source: CEPII BACI.",
    csv: { filename: `china-import-trend-${member}.csv`, rows: trend,
      columns: ["member", "mineral", "stage", "year", "china_import_share", "imports_value_usd"] },
  });
  await Promise.all([heatmap, trendChart]);
  status("");
}

async function main() {
  const [zone, minerals] = await Promise.all([api("/zone"), api("/minerals")]);
  state = { zone, minerals };
  const select = document.getElementById("member-select");
  for (const m of [...zone.members.map((x) => x.member), "zone"]) select.append(el("option", { value: m, text: memberLabel(zone, m) }));
  // ?id= in any case or by name (eu27, Japan); the API resolves the rest (jpn, European Union)
  const asked = (param("id") || "").trim();
  const same = (o) => o.value.toLowerCase() === asked.toLowerCase() || o.text.toLowerCase() === asked.toLowerCase();
  const known = asked ? [...select.options].find(same) : null;
  const wanted = known ? known.value : asked || zone.members[0].member;
  // a country outside the zone (?id=CAN, ?id=DEU): its own profile, under its own entry
  if (param("id") && ![...select.options].some((o) => o.value === wanted)) select.append(el("option", { value: wanted, text: wanted }));
  select.value = [...select.options].some((o) => o.value === wanted) ? wanted : zone.members[0].member;
  select.addEventListener("change", () => {
    setParam("id", select.value);
    if (document.body.dataset.notFound) {
      window.location.reload();
      return;
    }
    delete document.body.dataset.ready;
    render(select.value).then(ready).catch(fail);
  });
  try {
    await render(select.value);
  } catch (err) {
    if (err.status !== 404) throw err;
    memberNotFound(select, wanted, err.detail);
  }
  ready();
}

// "Not found" in place of the page for an ?id= that names no member or country (no silent
// fall-back to another member).
function memberNotFound(select, wanted, detail) {
  for (const o of [...select.options]) if (o.value === wanted && o.text === wanted) o.remove();
  select.prepend(el("option", { value: "", text: "— choose a member —" }));
  select.value = "";
  document.getElementById("title").textContent = "Member not found";
  status(`Member not found: ${detail}`, { error: true });
  document.body.dataset.notFound = "1";
  // the page's empty sections are left out: the title, the chooser and the message remain
  const keep = new Set([document.getElementById("title"), select.closest(".tools"), document.getElementById("status")]);
  for (const node of document.querySelectorAll("main > *")) if (!keep.has(node)) node.hidden = true;
}

main().catch(fail);
