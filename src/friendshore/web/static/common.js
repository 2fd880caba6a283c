// Shared helpers of the dashboard pages: API calls, number formats with units,
// charts (PNG by a button and Plotly's modebar, data as CSV), tables, status messages.
// Everything comes from this origin; nothing is fetched from anywhere else.

export const API = "/api/v1";

// Okabe & Ito (2008) colour-blind-safe palette.
export const COLOURS = {
  orange: "#E69F00", skyBlue: "#56B4E9", green: "#009E73", yellow: "#F0E442",
  blue: "#0072B2", vermillion: "#D55E00", purple: "#CC79A7", black: "#000000", grey: "#999999",
};
export const ZONE_COLOUR = COLOURS.blue;
export const CHINA_COLOUR = COLOURS.vermillion;
export const SERIES = [COLOURS.blue, COLOURS.orange, COLOURS.green, COLOURS.purple,
  COLOURS.skyBlue, COLOURS.vermillion, COLOURS.yellow, COLOURS.black, COLOURS.grey];
export const STAGE_COLOURS = { mining: COLOURS.orange, processing: COLOURS.blue, components: COLOURS.green };

// plotly.js asks its CDN for world_110m.json for any geo subplot: register an empty
// topology so that nothing is fetched (the countries come from our own GeoJSON).
window.PlotlyGeoAssets = window.PlotlyGeoAssets || { topojson: {} };
window.PlotlyGeoAssets.topojson = window.PlotlyGeoAssets.topojson || {};
window.PlotlyGeoAssets.topojson.world_110m = {
  type: "Topology", arcs: [],
  objects: Object.fromEntries(["coastlines", "land", "ocean", "lakes", "rivers", "countries", "subunits"]
    .map((k) => [k, { type: "GeometryCollection", geometries: [] }])),
};

// plotly.js (bundled with the plotly Python package, served by this app, 4.5 MB) is
// fetched in parallel with the page's API calls (the layout's <link rel=preload>) but
// run only when the first chart is drawn, after the page's numbers (tables, cards) are
// on screen: parsing it takes the main thread for most of a second.
let plotlyPromise = null;
const nextFrame = () => new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
export function loadPlotly() {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  if (!plotlyPromise) {
    plotlyPromise = nextFrame().then(() => new Promise((resolve, reject) => {
      const preload = document.getElementById("plotly-js");
      const script = document.createElement("script");
      script.src = preload ? preload.href : "/vendor/plotly.min.js";
      script.onload = () => {
        document.body.dataset.plotlyMs = String(Math.round(performance.now()));
        resolve(window.Plotly);
      };
      script.onerror = () => reject(new Error("plotly.js did not load"));
      document.head.append(script);
    }));
  }
  return plotlyPromise;
}

// Milliseconds since navigation began when the page's numbers were first on screen
// (the frame after they entered the page), before any chart: `data-numbers-ms`.
export function numbersShown() {
  if (document.body.dataset.numbersMs) return;
  document.body.dataset.numbersMs = "pending";
  nextFrame().then(() => {
    document.body.dataset.numbersMs = String(Math.round(performance.now()));
  });
}

export class ApiError extends Error {
  constructor(status, detail, field) {
    super(field ? `${detail} (field: ${field})` : detail);
    this.status = status; this.detail = detail; this.field = field;
  }
}

export async function api(path, options = {}) {
  const response = await fetch(API + path, {
    headers: { Accept: "application/json", ...(options.body ? { "Content-Type": "application/json" } : {}) },
    ...options,
  });
  const text = await response.text();
  const body = text ? JSON.parse(text) : null;
  if (!response.ok) {
    throw new ApiError(response.status, body && body.detail ? body.detail : response.statusText,
      body && body.field ? body.field : null);
  }
  return body;
}

// --- numbers with units ------------------------------------------------------------------
const isNum = (v) => typeof v === "number" && Number.isFinite(v);
const grouped = (digits) => new Intl.NumberFormat("en-US", { maximumFractionDigits: digits, minimumFractionDigits: 0 });
export const NA = "—";
export const UNKNOWN = "unknown";
const ONE_DECIMAL = new Intl.NumberFormat("en-US", { minimumFractionDigits: 1, maximumFractionDigits: 1 });

export function pct(v, digits = 0) {
  return isNum(v) ? `${(100 * v).toFixed(digits)}%` : NA;
}
export function tonnes(v) {
  if (!isNum(v)) return NA;
  const a = Math.abs(v);
  return `${grouped(a >= 100 ? 0 : a >= 1 ? 1 : 3).format(v)} t`;
}

// US dollars, scaled, the sign before the currency: -77.5e6 → "-US$77.5 m", 2.1e9 →
// "US$2.1 bn", 5400 → "US$5,400", 0 → "US$0"; missing or not finite → "—" (never
// "US$-77.5 m", never "7.76703e+07"). The same rule as the CLI's `cells.money_usd`.
export function usd(v) {
  if (!isNum(v)) return NA;
  const sign = v < 0 ? "-" : "";
  const a = Math.abs(v);
  if (a >= 1e9) return `${sign}US$${ONE_DECIMAL.format(a / 1e9)} bn`;
  if (a >= 1e6) return `${sign}US$${ONE_DECIMAL.format(a / 1e6)} m`;
  const whole = Math.round(a);
  return `${whole === 0 ? "" : sign}US$${grouped(0).format(whole)}`;
}

// A share that may be known only as a range: the point where known ("12.5%"), else the
// range its bounds allow ("0–2.1%"), else "unknown" (never "—" or "0%" for an unknown).
export function shareRange(value, low, high, digits = 1) {
  if (isNum(value)) return pct(value, digits);
  if (isNum(low) && isNum(high)) {
    const lo = pct(low, digits);
    const hi = pct(high, digits);
    return lo === hi ? lo : `${lo.slice(0, -1)}–${hi}`;
  }
  if (isNum(low)) return `≥${pct(low, digits)}`;
  if (isNum(high)) return `≤${pct(high, digits)}`;
  return UNKNOWN;
}
export function num(v, digits = 0) {
  return isNum(v) ? grouped(digits).format(v) : NA;
}

// --- page state ----------------------------------------------------------------------------
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) node.append(c);
  return node;
}

export function status(message, { error = false } = {}) {
  const box = document.getElementById("status");
  if (!box) return;
  box.textContent = message || "";
  box.classList.toggle("error", error);
}

export function fail(err) {
  status(`Error: ${err.message}`, { error: true });
  document.body.dataset.ready = "error";
}

export function ready() {
  // milliseconds since navigation began: the page's first render, API calls included
  numbersShown();
  document.body.dataset.readyMs = String(Math.round(performance.now()));
  document.body.dataset.ready = "1";
}

// Phone-width screens get shorter chart labels and titles.
export function narrow() {
  return window.innerWidth < 760;
}

export function shorten(text, n) {
  return text.length > n ? `${text.slice(0, n - 1)}…` : text;
}

export function param(name) {
  return new URLSearchParams(window.location.search).get(name);
}

export function setParam(name, value) {
  const url = new URL(window.location.href);
  url.searchParams.set(name, value);
  window.history.replaceState(null, "", url);
}

// --- CSV and tables ------------------------------------------------------------------------
function csvCell(v) {
  if (v === null || v === undefined) return "";
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

export function toCsv(rows, columns) {
  const cols = columns || (rows.length ? Object.keys(rows[0]) : []);
  return [cols.join(","), ...rows.map((r) => cols.map((c) => csvCell(r[c])).join(","))].join("\n") + "\n";
}

export function download(filename, text, type = "text/csv") {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = el("a", { href: url, download: filename });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function csvButton(filename, rows, columns, label = "Download data (CSV)") {
  return el("button", { type: "button", class: "csv", "data-csv": filename,
    onclick: () => download(filename, toCsv(rows, columns)) }, label);
}

// columns: [{key, label, format(value,row) -> text, num: bool, href(row)}]
export function table(columns, rows, { caption, id } = {}) {
  const t = el("table", { id });
  if (caption) t.append(el("caption", { text: caption }));
  const head = el("tr");
  for (const c of columns) head.append(el("th", { scope: "col", class: c.num ? "num" : null, text: c.label }));
  t.append(el("thead", {}, head));
  const body = el("tbody");
  for (const row of rows) {
    const tr = el("tr");
    for (const c of columns) {
      const v = row[c.key];
      const text = c.format ? c.format(v, row) : (v === null || v === undefined ? NA : String(v));
      const td = el("td", {
        class: [c.num ? "num" : "", text === NA ? "na" : ""].join(" ").trim() || null,
        "data-key": c.key,
        "data-value": v === null || v === undefined ? "" : String(v),
        title: c.title ? c.title(v, row) || null : null,
      });
      if (c.href) td.append(el("a", { href: c.href(row), text }));
      else td.textContent = text;
      tr.append(td);
    }
    body.append(tr);
  }
  t.append(body);
  return el("div", { class: "scroll" }, t);
}

// --- charts --------------------------------------------------------------------------------
const FONT = { family: "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", size: 12 };

export function baseLayout(title, extra = {}) {
  return {
    title: { text: title, x: 0, xanchor: "left", font: { size: 14 } },
    font: FONT, paper_bgcolor: "#fff", plot_bgcolor: "#fff",
    margin: { l: 60, r: 20, t: 48, b: 48 },
    legend: { orientation: "h", y: -0.3, yanchor: "top" },
    ...extra,
  };
}

// A keyboard- and touch-reachable PNG download of a chart (Plotly's modebar shows only on
// hover): `drawn` resolves to the chart's div once Plotly has drawn it.
export function pngButton(drawn, filename, title, label = "Download chart (PNG)") {
  return el("button", {
    type: "button", class: "png", "data-png": `${filename}.png`, "aria-label": `${label}: ${title}`,
    onclick: () => drawn
      .then((plot) => window.Plotly.downloadImage(plot, { format: "png", filename, scale: 2 }))
      .catch(fail),
  }, label);
}

// Height (px) of a chart whose layout names none.
export const CHART_HEIGHT = 400;

// Give a chart's box the layout's height. Plotly's responsive resize (window resize, phone
// rotation) sizes the plot to its box: a box with only a min-height collapses to it on the
// first resize and stays a strip until reload. Plotly reads the computed height, the
// content box's, so the padding stays outside it.
export function keepHeight(plot, height) {
  plot.style.boxSizing = "content-box";
  plot.style.height = `${height}px`;
  plot.dataset.height = String(height);
}

// Draw a chart into `container` (a <figure>-like div) with its caption and its CSV and
// PNG buttons. The chart keeps `layout.height` (default CHART_HEIGHT) at every width.
export async function chart(container, { id, title, traces, layout, caption, csv }) {
  container.replaceChildren();
  const plot = el("div", { id, class: "figure", role: "img", "aria-label": title });
  container.append(plot);
  if (caption) container.append(el("p", { class: "caption", text: caption }));
  const filename = csv ? csv.filename.replace(/\.csv$/, "") : id;
  const narrow = window.innerWidth < 760;
  const config = {
    displaylogo: false, responsive: true,
    toImageButtonOptions: { format: "png", filename, scale: 2 },
    modeBarButtonsToRemove: ["sendDataToCloud", "sendChartToCloud", "lasso2d", "select2d"],
    showSendToCloud: false, showEditInChartStudio: false, plotlyServerURL: "",
  };
  const lay = baseLayout(title, layout || {});
  if (narrow) lay.margin = { ...lay.margin, l: Math.min(lay.margin.l, 110), r: Math.min(lay.margin.r, 50) };
  if (!(typeof lay.height === "number" && lay.height > 0)) lay.height = CHART_HEIGHT;
  keepHeight(plot, lay.height);
  const drawn = loadPlotly()
    .then((Plotly) => Plotly.newPlot(plot, traces, lay, config))
    .then(() => {
      plot.dataset.drawn = "1";
      return plot;
    });
  const tools = el("div", { class: "tools" });
  if (csv) tools.append(csvButton(csv.filename, csv.rows, csv.columns));
  tools.append(pngButton(drawn, filename, title));
  container.append(tools);
  return drawn;
}

// The zone members' display names.
export function memberLabel(zone, member) {
  if (member === "zone") return "Zone (all members)";
  const m = zone.members.find((x) => x.member === member);
  return m ? `${m.name} (${m.member})` : member;
}

export function mineralLabel(minerals, id) {
  const m = minerals.find((x) => x.mineral === id);
  return m ? m.name : id;
}

export function sourceLine(rows) {
  const seen = new Set(rows.map((r) => (r.release ? `${r.source} (${r.release})` : r.source)));
  return [...seen].sort().join("; ");
}
