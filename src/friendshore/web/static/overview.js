// Overview: the zone vs China at a glance (ranked exposure, cards, world map).
import {
  api, chart, el, fail, mineralLabel, narrow, numbersShown, pct, ready, shareRange, shorten, status, table, tonnes,
  CHINA_COLOUR, UNKNOWN, ZONE_COLOUR,
} from "./common.js";

export const TOP = 15;

// Critical minerals by stage, ranked by China's share of world output, then HHI
// (as `friendshore assess` ranks them). Records without a China share go last.
export function rankExposure(records, minerals) {
  const critical = new Set(minerals.filter((m) => m.usgs_critical_2022).map((m) => m.mineral));
  const key = (v) => (typeof v === "number" ? v : -Infinity);
  return records
    .filter((r) => critical.has(r.mineral))
    .sort((a, b) => key(b.china_share) - key(a.china_share) || key(b.hhi) - key(a.hhi));
}

function label(r, minerals) {
  const name = mineralLabel(minerals, r.mineral);
  return `${name}, ${r.stage}${r.product ? ` (${r.product})` : ""}`;
}

// What is known of the zone's share of a record: "known" (a figure, 0 included), "range"
// (bounds only: a member's figure withheld, or a top-producers listing that may hide
// members in its rest of the world) or "unknown" (not even bounds).
export function zoneStatus(r) {
  if (typeof r.zone_production_share === "number") return "known";
  const lo = r.zone_production_share_min;
  const hi = r.zone_production_share_max;
  return typeof lo === "number" && typeof hi === "number" ? "range" : UNKNOWN;
}

// The zone's bars: a solid bar where its share is known, a labelled "0%" where it is a
// known zero (no bar to see), a hatched grey bar from the lower to the upper bound where
// only bounds are known, and a hatched bar over the whole axis labelled "unknown" where
// nothing is; unknown never looks like 0%. All in one slot beside China's bar.
export function zoneTraces(labels, rows) {
  const status = rows.map(zoneStatus);
  const why = rows.map((r) => r.zone_production_share_note || "");
  const pick = (want, f) => rows.map((r, i) => (status[i] === want ? f(r) : null));
  const known = pick("known", (r) => r.zone_production_share);
  const low = pick("range", (r) => r.zone_production_share_min);
  const high = pick("range", (r) => r.zone_production_share_max);
  const hatched = (color) => ({ color: "rgba(0,114,178,0.15)", line: { color, width: 1 },
    pattern: { shape: "/", fgcolor: color, size: 6, solidity: 0.3 } });
  const traces = [
    { type: "bar", orientation: "h", name: "Zone", y: labels, x: known, offsetgroup: "zone",
      marker: { color: ZONE_COLOUR }, text: known.map((v) => (v === 0 ? "0%" : "")), textposition: "outside",
      cliponaxis: false, hovertemplate: "%{y}: zone %{x:.1%}<extra></extra>" },
    { type: "bar", orientation: "h", name: "Zone: range (bounds only)", y: labels, base: low,
      x: low.map((lo, i) => (lo === null ? null : high[i] - lo)), offsetgroup: "zone", marker: hatched(ZONE_COLOUR),
      customdata: rows.map((r, i) => [pct(low[i], 1), pct(high[i], 1), why[i]]),
      hovertemplate: "%{y}: zone between %{customdata[0]} and %{customdata[1]}: %{customdata[2]}<extra></extra>" },
    { type: "bar", orientation: "h", name: "Zone: unknown", y: labels, base: rows.map((r, i) => (status[i] === UNKNOWN ? 0 : null)),
      x: status.map((st) => (st === UNKNOWN ? 1 : null)), offsetgroup: "zone", marker: hatched("#999999"),
      text: status.map((st) => (st === UNKNOWN ? UNKNOWN : "")), textposition: "inside", insidetextanchor: "start",
      customdata: why, hovertemplate: "%{y}: zone share unknown: %{customdata}<extra></extra>" },
  ];
  return traces.filter((t, i) => i === 0 || t.x.some((v) => v !== null));
}

async function drawMap(option, minerals, zone, geometry) {
  const [mineral, stage] = option.split("|");
  const detail = await api(`/minerals/${encodeURIComponent(mineral)}`);
  const rows = detail.production.filter((r) => r.stage === stage);
  const rec = detail.summary.find((r) => r.stage === stage);
  const chosen = rec ? rows.filter((r) => r.source === rec.source && r.product === (rec.product || "")) : rows;
  const year = Math.max(...chosen.map((r) => r.year));
  const shown = chosen.filter((r) => r.year === year && typeof r.quantity_t === "number" && r.quantity_t > 0);
  const zoneCountries = new Set(zone.members.flatMap((m) => m.countries));
  const everyone = geometry.features.map((f) => f.properties.iso3).filter((c) => c !== "ATA");
  const names = Object.fromEntries(geometry.features.map((f) => [f.properties.iso3, f.properties.name]));
  const traces = [
    {
      type: "choropleth", geojson: geometry, featureidkey: "properties.iso3", locations: everyone,
      z: everyone.map(() => 0), colorscale: [[0, "#e6e6e6"], [1, "#e6e6e6"]], showscale: false,
      text: everyone.map((c) => `${names[c]}: no production listed${zoneCountries.has(c) ? " (zone)" : ""}`),
      hovertemplate: "%{text}<extra></extra>", marker: { line: { color: "#fff", width: 0.4 } }, name: "no data",
    },
    {
      type: "choropleth", geojson: geometry, featureidkey: "properties.iso3",
      locations: shown.map((r) => r.country), z: shown.map((r) => r.quantity_t),
      colorscale: "Viridis", reversescale: true, colorbar: { title: { text: "t" }, thickness: 12 },
      text: shown.map((r) => `${r.country_name}: ${tonnes(r.quantity_t)} (${pct(r.share, 1)} of world)` +
        `${zoneCountries.has(r.country) ? " · zone member" : ""}${r.country === "CHN" ? " · China" : ""}`),
      hovertemplate: "%{text}<extra></extra>", marker: { line: { color: "#fff", width: 0.4 } }, name: "production",
    },
  ];
  const src = rec ? rec.source : (chosen[0] || {}).source;
  await chart(document.getElementById("map"), {
    id: "world-map",
    title: `${mineralLabel(minerals, mineral)} ${stage}: production${narrow() ? "" : " by country"}, ${year} (t)`,
    traces,
    layout: {
      geo: { visible: false, showframe: false, projection: { type: "natural earth" },
        lataxis: { range: [-58, 85] } },
      height: window.innerWidth < 760 ? 300 : 480, margin: { l: 0, r: 0, t: 40, b: 0 },
    },
    caption: `Source: ${src}; ${detail.unit_basis}. Grey: no production listed. Map: Natural Earth 1:110m.`,
    csv: { filename: `production-${mineral}-${stage}-${year}.csv`, rows: shown,
      columns: ["country", "country_name", "year", "quantity_t", "share", "status", "source", "release"] },
  });
}

async function main() {
  // the map's geometry (0.5 MB) loads in parallel; the numbers do not wait for it
  const geometryPromise = api("/geometry/world");
  const [zone, minerals, assessment] = await Promise.all([api("/zone"), api("/minerals"), api("/assessment")]);
  document.body.dataset.dataMs = String(Math.round(performance.now()));
  document.getElementById("zone-line").textContent =
    `${zone.name}: members ${zone.members.map((m) => m.member).join(", ")}; rival tracked: ` +
    `${zone.rivals.join(", ")}. Latest figures up to ${zone.year}.`;
  const ranked = rankExposure(assessment.records, minerals);
  const top = ranked.slice(0, TOP);
  const majority = ranked.filter((r) => typeof r.china_share === "number" && r.china_share > 0.5);
  const cards = document.getElementById("cards");
  const card = (id, value, text) => el("div", { class: "card", id },
    el("div", { class: "value", text: value }), el("div", { class: "label", text }));
  cards.replaceChildren(
    card("card-majority", String(majority.length),
      `critical mineral stages where China has more than half of world output (of ${ranked.length})`),
    card("card-top", pct(top[0].china_share),
      `China's share of world ${label(top[0], minerals)} (${top[0].year})`),
    card("card-members", String(zone.members.length), `members: ${zone.members.map((m) => m.name).join(", ")}`),
  );

  document.getElementById("exposed-table").replaceChildren(table([
    { key: "mineral", label: "Mineral", href: (r) => `/mineral?m=${encodeURIComponent(r.mineral)}`,
      format: (v, r) => mineralLabel(minerals, v) + (r.product ? ` (${r.product})` : "") },
    { key: "stage", label: "Stage" },
    { key: "year", label: "Year" },
    { key: "source", label: "Source" },
    { key: "china_share", label: "China share of world output", num: true, format: (v) => pct(v, 1) },
    { key: "zone_production_share", label: "Zone share of world output", num: true,
      format: (v, r) => shareRange(v, r.zone_production_share_min, r.zone_production_share_max),
      title: (v, r) => r.zone_production_share_note },
    { key: "hhi", label: "HHI (0–10,000)", num: true, format: (v) => (typeof v === "number" ? v.toFixed(0) : "—") },
    { key: "zone_self_sufficiency", label: "Zone self-sufficiency", num: true, format: (v) => pct(v, 0) },
  ], top, { caption: `Top ${TOP} critical mineral stages by China's share of world output`, id: "exposed" }));

  numbersShown();

  const labels = top.map((r) => (narrow()
    ? `${shorten(mineralLabel(minerals, r.mineral), 14)} (${r.stage.slice(0, 4)}.)`
    : label(r, minerals))).reverse();
  const rev = [...top].reverse();
  const exposure = chart(document.getElementById("exposed-chart"), {
    id: "exposed-plot",
    title: narrow() ? "China vs zone: share of world output"
      : `China vs the zone: share of world output (%), top ${TOP} critical mineral stages`,
    traces: [
      { type: "bar", orientation: "h", name: "China", y: labels, x: rev.map((r) => r.china_share), offsetgroup: "china",
        marker: { color: CHINA_COLOUR }, hovertemplate: "%{y}: China %{x:.1%}<extra></extra>" },
      ...zoneTraces(labels, rev),
    ],
    layout: { barmode: "group", height: 120 + 34 * TOP, xaxis: { tickformat: ".0%", range: [0, 1], title: { text: "share of world output (%)" } },
      yaxis: { automargin: true }, margin: { l: 10, r: 20, t: 48, b: 80 } },
    caption: `Latest year up to ${assessment.year} per series. Hatched: the zone's share is known only as a range ` +
      "(a member's figure withheld, or a source listing top producers only, whose rest of the world may hold members; " +
      "hover for the reason); \"0%\": a known zero. Sources: " +
      `${[...new Set(top.map((r) => r.source))].join(", ")} (see the Mineral page for every figure's source).`,
    csv: { filename: "zone-exposure.csv", rows: top,
      columns: ["mineral", "stage", "product", "year", "source", "china_share", "zone_production_share",
        "hhi", "zone_self_sufficiency", "zone_production_share_min", "zone_production_share_max", "zone_production_share_note"] },
  });
  const select = document.getElementById("map-mineral");
  const options = ranked.filter((r, i, all) => all.findIndex((x) => x.mineral === r.mineral && x.stage === r.stage) === i);
  for (const r of options) select.append(el("option", { value: `${r.mineral}|${r.stage}`, text: `${mineralLabel(minerals, r.mineral)}, ${r.stage}` }));
  select.value = `${top[0].mineral}|${top[0].stage}`;
  const geometry = await geometryPromise;
  select.addEventListener("change", () => drawMap(select.value, minerals, zone, geometry).catch(fail));
  // both charts wait for plotly.js; the cards and the table are already shown
  await Promise.all([exposure, drawMap(select.value, minerals, zone, geometry)]);
  status("");
  ready();
}

main().catch(fail);
