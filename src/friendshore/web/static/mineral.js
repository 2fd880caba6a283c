// Mineral: production and reserves by country and stage, trend, published prices, trade
// flows into members (Sankey), and the source of every figure.
import {
  api, chart, el, fail, narrow, num, numbersShown, param, pct, ready, setParam, shareRange, shorten, sourceLine, status, table,
  tonnes, usd,
  CHINA_COLOUR, SERIES, STAGE_COLOURS, ZONE_COLOUR,
} from "./common.js";

const TOP_PRODUCERS = 12;
// The least height (px) of a bar chart however few its bars.
const MIN_HEIGHT = 260;
const STAGE_ORDER = ["mining", "processing", "components"];
let state = { minerals: [], zone: null, detail: null };

function latestSeries(rows, stage, record) {
  let part = rows.filter((r) => r.stage === stage);
  if (record) part = part.filter((r) => r.source === record.source && r.product === (record.product || ""));
  const year = Math.max(...part.map((r) => r.year));
  return { year, rows: part.filter((r) => r.year === year) };
}

function producerChart(container, id, title, rows, caption, filename) {
  const sorted = rows.filter((r) => typeof r.quantity_t === "number")
    .sort((a, b) => b.quantity_t - a.quantity_t).slice(0, TOP_PRODUCERS);
  const rev = [...sorted].reverse();
  const zoneCountries = new Set(state.zone.members.flatMap((m) => m.countries));
  return chart(container, {
    id, title, caption,
    traces: [{
      type: "bar", orientation: "h", y: rev.map((r) => (narrow() ? shorten(r.country_name, 14) : r.country_name)),
      x: rev.map((r) => r.quantity_t),
      marker: { color: rev.map((r) => (r.country === "CHN" ? CHINA_COLOUR : zoneCountries.has(r.country) ? ZONE_COLOUR : "#999999")) },
      text: rev.map((r) => pct(r.share, 1)), textposition: "outside", cliponaxis: false,
      hovertemplate: "%{y}: %{x:,.0f} t (%{text} of world)<extra></extra>",
    }],
    layout: { height: Math.max(MIN_HEIGHT, 90 + 26 * rev.length), xaxis: { title: { text: "tonnes (t)" }, separatethousands: true },
      yaxis: { automargin: true }, margin: { l: 10, r: 50, t: 48, b: 50 }, showlegend: false },
    csv: { filename, rows: sorted, columns: ["country", "country_name", "stage", "product", "year", "quantity_t", "share", "status", "source", "release"] },
  });
}

async function renderTrade(mineral, stage, year) {
  const box = document.getElementById("sankey");
  const stageSel = document.getElementById("trade-stage");
  const yearSel = document.getElementById("trade-year");
  const info = state.minerals.find((m) => m.mineral === mineral);
  if (!info || !info.has_trade) {
    box.replaceChildren(el("p", { class: "note", text: "No trade data (BACI HS6 codes) for this mineral." }));
    stageSel.replaceChildren(); yearSel.replaceChildren();
    document.getElementById("trend-imports").replaceChildren();
    return;
  }
  const q = new URLSearchParams();
  if (stage) q.set("stage", stage);
  if (year) q.set("year", year);
  const trade = await api(`/minerals/${encodeURIComponent(mineral)}/trade?${q}`);
  stageSel.replaceChildren(...trade.stages.map((s) => el("option", { value: s, text: s })));
  stageSel.value = trade.stage;
  const years = [...new Set(trade.trend.map((r) => r.year))].sort();
  yearSel.replaceChildren(...years.map((y) => el("option", { value: y, text: y })));
  yearSel.value = String(trade.year);
  if (!trade.flows.length) {  // plotly's sankey throws on no links: say what is missing instead
    box.replaceChildren(el("p", { class: "note", id: "no-flows",
      text: `No imports into the zone's members in ${trade.year} at the ${trade.stage} stage (${trade.source}).` }));
  }
  const exporters = [...new Set(trade.flows.map((f) => f.exporter))];
  const members = state.zone.members.map((m) => m.member);
  const labels = [...exporters.map((e) => trade.flows.find((f) => f.exporter === e).exporter_name),
    ...members.map((m) => state.zone.members.find((x) => x.member === m).name)];
  const colour = (e) => (e === "CHN" ? CHINA_COLOUR : members.includes(e) ? ZONE_COLOUR : "#bbbbbb");
  if (trade.flows.length) await chart(box, {
    id: "trade-sankey",
    title: `${trade.stage}: imports into the zone's members by exporter, ${trade.year} (US$)`,
    traces: [{
      type: "sankey", arrangement: "snap",
      node: { label: labels, pad: 12, thickness: 14,
        color: [...exporters.map(colour), ...members.map(() => ZONE_COLOUR)] },
      link: {
        source: trade.flows.map((f) => exporters.indexOf(f.exporter)),
        target: trade.flows.map((f) => exporters.length + members.indexOf(f.member)),
        value: trade.flows.map((f) => f.value_usd),
        color: trade.flows.map((f) => (f.exporter === "CHN" ? "rgba(213,94,0,0.45)" : "rgba(120,120,120,0.3)")),
        customdata: trade.flows.map((f) => `${usd(f.value_usd)}; ${tonnes(f.quantity_t)} gross`),
        hovertemplate: "%{source.label} → %{target.label}: %{customdata}<extra></extra>",
      },
    }],
    layout: { height: window.innerWidth < 760 ? 420 : 520, margin: { l: 8, r: 8, t: 48, b: 8 } },
    caption: `Source: ${trade.source} (HS6 codes of ${mineral} at the ${trade.stage} stage); the top ${trade.top_exporters} ` +
      "exporters by value, the rest as 'other exporters'. Trade between countries of one member (intra-EU) is left out.",
    csv: { filename: `trade-${mineral}-${trade.stage}-${trade.year}.csv`, rows: trade.flows,
      columns: ["exporter", "exporter_name", "member", "value_usd", "quantity_t", "content_t"] },
  });
  const series = [...members, "zone"];
  await chart(document.getElementById("trend-imports"), {
    id: "trend-imports-chart",
    title: `China's share of imports (value), ${trade.stage}, ${years[0]}–${years[years.length - 1]}`,
    traces: series.map((m, i) => {
      const rows = trade.trend.filter((r) => r.member === m);
      return { type: "scatter", mode: "lines+markers", name: m === "zone" ? "Zone" : m,
        x: rows.map((r) => r.year), y: rows.map((r) => r.china_import_share),
        line: { color: m === "zone" ? "#000" : SERIES[i], dash: m === "zone" ? "dot" : "solid" },
        hovertemplate: `${m}: %{y:.1%} (%{x})<extra></extra>` };
    }),
    layout: { height: 340, yaxis: { tickformat: ".0%", title: { text: "share of import value (%)" }, rangemode: "tozero" },
      xaxis: { dtick: 1, title: { text: "year" } } },
    caption: `Source: ${trade.source}. Imports from outside each member.`,
    csv: { filename: `china-import-share-${mineral}-${trade.stage}.csv`, rows: trade.trend,
      columns: ["member", "mineral", "stage", "year", "china_import_share", "china_import_share_qty", "intra_zone_share", "import_reliance", "imports_value_usd"] },
  });
}

// Price trend: the store's annual prices of the mineral (GET /prices), one line per series in
// US$ per tonne of its basis; hover: the value and unit as published, the source and release.
const NO_PRICE = "No published price for this mineral.";
const NO_RESERVES = "USGS publishes no reserves for this mineral";

async function renderPrices(mineral, name) {
  const box = document.getElementById("prices");
  const rows = await api(`/prices?mineral=${encodeURIComponent(mineral)}`);
  if (!rows.length) {
    box.replaceChildren(el("p", { class: "note", id: "no-price", text: NO_PRICE }));
    return;
  }
  const mass = rows.filter((r) => typeof r.usd_per_t === "number");
  const other = [...new Set(rows.filter((r) => typeof r.usd_per_t !== "number").map((r) => `${r.series} (${r.unit})`))];
  const otherNote = other.length ? ` Not a price per mass, so not drawn: ${other.join(", ")}.` : "";
  if (!mass.length) {
    box.replaceChildren(el("p", { class: "note", id: "no-price",
      text: `${NO_PRICE} (in US$ per tonne).${otherNote}` }));
    return;
  }
  const series = [...new Set(mass.map((r) => r.series))].sort();
  const label = (r) => `${r.product || r.series}${r.market ? `, ${r.market}` : ""} (${r.source})`;
  const height = 380;
  await chart(box, {
    id: "price-trend-chart",
    title: narrow() ? `${name}: prices (US$/t)` : `${name}: published prices, US$ per tonne of their basis`,
    traces: series.map((id, i) => {
      const part = mass.filter((r) => r.series === id).sort((a, b) => a.year - b.year);
      const first = part[0];
      return {
        type: "scatter", mode: "lines+markers", name: shorten(label(first), narrow() ? 28 : 60),
        x: part.map((r) => r.year), y: part.map((r) => r.usd_per_t),
        line: { color: SERIES[i % SERIES.length] },
        customdata: part.map((r) => [r.value, r.unit, r.source, r.release || "", r.basis || "", r.months ?? "", r.series]),
        hovertemplate: "%{customdata[6]}, %{x}: US$%{y:,.0f}/t %{customdata[4]}<br>as published: %{customdata[0]:,.4~f} " +
          "%{customdata[1]}<br>%{customdata[2]} %{customdata[3]}<extra></extra>",
      };
    }),
    layout: { height, legend: { orientation: "h", x: 0, y: -0.22, yanchor: "top" }, margin: { l: 80, r: 20, t: 48, b: 100 },
      xaxis: { dtick: narrow() ? 5 : 2, title: { text: "year" } },
      yaxis: { title: { text: "US$ per tonne" }, separatethousands: true, rangemode: "tozero" } },
    caption: `Annual prices as published (monthly series averaged over the months present), converted to US$ per tonne ` +
      `of the basis each series states (hover). Sources: ${[...new Set(mass.map((r) => `${r.source}${r.release ? ` (${r.release})` : ""}`))].sort().join("; ")}.` +
      otherNote,
    csv: { filename: `prices-${mineral}.csv`, rows,
      columns: ["series", "source", "release", "mineral_id", "stage", "product", "market", "frequency", "year", "months",
        "value", "unit", "usd_per_t", "basis", "status", "file", "line"] },
  });
}

async function render(mineral) {
  status("Loading…");
  const detail = await api(`/minerals/${encodeURIComponent(mineral)}`);
  state.detail = detail;
  document.getElementById("title").textContent = `${detail.name}`;
  document.title = `${detail.name} · friendshore`;
  document.getElementById("basis").textContent = `Unit basis: ${detail.unit_basis}. Figures up to ${detail.year}.`;

  const records = [...detail.summary].sort((a, b) => STAGE_ORDER.indexOf(a.stage) - STAGE_ORDER.indexOf(b.stage));
  document.getElementById("summary").replaceChildren(records.length ? table([
    { key: "stage", label: "Stage" },
    { key: "product", label: "Product", format: (v) => v || "—" },
    { key: "year", label: "Year" },
    { key: "source", label: "Source" },
    { key: "world_quantity_t", label: "World output", num: true, format: tonnes },
    { key: "china_share", label: "China share", num: true, format: (v) => pct(v, 1) },
    { key: "top3_share", label: "Top-3 share", num: true, format: (v) => pct(v, 1) },
    { key: "hhi", label: "HHI (0–10,000)", num: true, format: (v) => num(v) },
    { key: "zone_production_share", label: "Zone share of output", num: true,
      format: (v, r) => shareRange(v, r.zone_production_share_min, r.zone_production_share_max),
      title: (v, r) => r.zone_production_share_note },
    { key: "zone_reserves_share", label: "Zone share of reserves", num: true, format: (v) => pct(v, 1) },
    { key: "zone_self_sufficiency", label: "Zone self-sufficiency", num: true, format: (v) => pct(v, 0) },
  ], records, { caption: `${detail.name}: the assessment by stage`, id: "summary-table" })
    : el("p", { class: "note", text: "No production series for this mineral." }));
  numbersShown();  // the assessment's figures are on screen; the charts follow

  const prod = document.getElementById("production");
  prod.replaceChildren();
  const stages = [...new Set(detail.production.map((r) => r.stage))].sort((a, b) => STAGE_ORDER.indexOf(a) - STAGE_ORDER.indexOf(b));
  for (const stage of stages) {
    const rec = records.find((r) => r.stage === stage);
    const { year, rows } = latestSeries(detail.production, stage, rec);
    const box = el("div");
    prod.append(box);
    await producerChart(box, `production-${stage}`,
      `${detail.name}, ${stage}: top producers, ${year} (t)`, rows,
      `Source: ${sourceLine(rows)}. China in vermillion, zone members in blue. ${rows.filter((r) => r.status === "withheld").length} figure(s) withheld.`,
      `production-${mineral}-${stage}-${year}.csv`);
  }
  if (!stages.length) prod.append(el("p", { class: "note", text: "No production by country." }));

  const res = document.getElementById("reserves");
  // USGS lists countries for some by-product minerals (gallium, germanium…) without a reserves
  // figure: say so instead of drawing empty axes
  const published = detail.reserves.filter((r) => typeof r.quantity_t === "number");
  if (published.length) {
    const { year, rows } = latestSeries(published, "mining", null);
    await producerChart(res, "reserves-chart", `${detail.name}: largest reserves, ${year} (t)`, rows,
      `Source: ${sourceLine(rows)}.`, `reserves-${mineral}-${year}.csv`);
  } else {
    res.replaceChildren(el("p", { class: "note", id: "no-reserves", text: detail.reserves.length
      ? `${NO_RESERVES} (${sourceLine(detail.reserves)} lists ${new Set(detail.reserves.map((r) => r.country)).size} ` +
        "countries without a figure)."
      : `${NO_RESERVES}.` }));
  }

  // China's share of world output by year and stage (default source per stage).
  const trendRows = [];
  for (const stage of stages) {
    const rec = records.find((r) => r.stage === stage);
    const part = detail.production.filter((r) => r.stage === stage && (!rec || (r.source === rec.source && r.product === (rec.product || ""))));
    for (const y of [...new Set(part.map((r) => r.year))].sort()) {
      const china = part.find((r) => r.year === y && r.country === "CHN");
      trendRows.push({ stage, year: y, source: part[0].source, china_share: china ? china.share : null });
    }
  }
  await chart(document.getElementById("trend-production"), {
    id: "trend-production-chart",
    title: `China's share of world output by year`,
    traces: stages.map((s) => {
      const rows = trendRows.filter((r) => r.stage === s);
      return { type: "scatter", mode: "lines+markers", name: s, x: rows.map((r) => r.year), y: rows.map((r) => r.china_share),
        line: { color: STAGE_COLOURS[s] }, hovertemplate: `${s}: %{y:.1%} (%{x})<extra></extra>` };
    }),
    layout: { height: 340, yaxis: { tickformat: ".0%", range: [0, 1], title: { text: "share of world output (%)" } },
      xaxis: { dtick: 1, title: { text: "year" } } },
    caption: `Source: ${[...new Set(trendRows.map((r) => r.source))].join(", ")} (years the releases cover).`,
    csv: { filename: `china-share-${mineral}.csv`, rows: trendRows, columns: ["stage", "year", "source", "china_share"] },
  });

  await renderPrices(mineral, detail.name);

  await renderTrade(mineral, null, null);

  const src = document.getElementById("sources");
  src.replaceChildren(
    table([
      { key: "stage", label: "Stage" }, { key: "source", label: "Source used" },
      { key: "alternatives", label: "Alternatives", format: (v) => v || "—" }, { key: "reason", label: "Why" },
    ], detail.sources, { caption: "Source used per stage", id: "source-choice" }),
    detail.source_comparison.length ? table([
      { key: "stage", label: "Stage" }, { key: "product", label: "Product", format: (v) => v || "—" },
      { key: "year", label: "Year" }, { key: "source", label: "Source" }, { key: "release", label: "Release" },
      { key: "world_quantity_t", label: "World output", num: true, format: tonnes },
      { key: "china_share", label: "China share", num: true, format: (v) => pct(v, 1) },
      { key: "default", label: "Used", format: (v) => (v ? "yes" : "no") },
    ], detail.source_comparison, { caption: "Where sources overlap", id: "source-comparison" }) : "",
    table([
      { key: "source", label: "Dataset" }, { key: "publisher", label: "Publisher" },
      { key: "licence", label: "Licence" }, { key: "citation", label: "Citation" },
    ], detail.citations, { caption: "Citations", id: "citations" }),
    el("div", { class: "tools" },
      el("button", { type: "button", onclick: () => import("./common.js").then((c) =>
        c.download(`production-${mineral}-all.csv`, c.toCsv(detail.production))) }, "Download every production figure (CSV)")),
  );
  status("");
}

// The mineral ?m= names: an id or name in any case at once, else as the API resolves it
// (synonyms such as REE); { id: null, message } when it names no mineral with production.
async function pickMineral(minerals, wanted) {
  const key = wanted.trim().toLowerCase();
  let hit = minerals.find((m) => m.mineral.toLowerCase() === key || m.name.toLowerCase() === key);
  if (!hit) {
    try {
      const id = (await api(`/minerals/${encodeURIComponent(wanted.trim())}`)).mineral;
      hit = minerals.find((m) => m.mineral === id);
    } catch (err) {
      if (err.status !== 404) throw err;
      return { id: null, message: `Mineral not found: ${err.detail}` };
    }
  }
  if (!hit || !hit.has_production) {
    const name = hit ? hit.name : wanted;
    return { id: null, message: `Mineral not found: ${name} has no production figures in the sources.` };
  }
  return { id: hit.mineral };
}

// "Not found" in place of the page (no silent fall-back to another mineral).
function notFound(select, message) {
  document.getElementById("title").textContent = "Mineral not found";
  select.prepend(el("option", { value: "", text: "— choose a mineral —" }));
  select.value = "";
  status(message, { error: true });
  document.body.dataset.notFound = "1";
  // the page's empty sections are left out: the title, the chooser and the message remain
  const keep = new Set([document.getElementById("title"), select.closest(".tools"), document.getElementById("status")]);
  for (const node of document.querySelectorAll("main > *")) if (!keep.has(node)) node.hidden = true;
}

async function main() {
  const [minerals, zone] = await Promise.all([api("/minerals"), api("/zone")]);
  state.minerals = minerals;
  state.zone = zone;
  const select = document.getElementById("mineral-select");
  for (const m of minerals.filter((x) => x.has_production)) select.append(el("option", { value: m.mineral, text: m.name }));
  // ?m= takes an id, a name or a synonym in any case; one that names nothing says so
  const picked = param("m") ? await pickMineral(minerals, param("m")) : { id: "gallium" };
  if (!picked.id) {
    notFound(select, picked.message);
    select.addEventListener("change", () => {
      setParam("m", select.value);
      window.location.reload();
    });
    ready();
    return;
  }
  select.value = picked.id;
  select.addEventListener("change", () => {
    setParam("m", select.value);
    delete document.body.dataset.ready;
    render(select.value).then(ready).catch(fail);
  });
  const reTrade = () => {
    delete document.body.dataset.ready;
    renderTrade(select.value, document.getElementById("trade-stage").value, document.getElementById("trade-year").value)
      .then(ready).catch(fail);
  };
  document.getElementById("trade-stage").addEventListener("change", () => {
    document.getElementById("trade-year").value = "";
    delete document.body.dataset.ready;
    renderTrade(select.value, document.getElementById("trade-stage").value, null).then(ready).catch(fail);
  });
  document.getElementById("trade-year").addEventListener("change", reTrade);
  await render(select.value);
  ready();
}

main().catch(fail);
