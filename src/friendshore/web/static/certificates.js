// Certificates: verify a certificate of origin by serial (the registry's public verify
// endpoint) or by the certificate itself (pasted or uploaded JSON); show the verdict
// (signature, issuer, registry, validity dates, revocation) and the certified
// evaluation (every rule with pass / fail / not applicable, its reason and figures).
import { API, ApiError, NA, el, fail, num, pct, ready, status, table, usd } from "./common.js";

const BASE = "/compliance";
const STATUS_TEXT = {
  valid: "valid", revoked: "revoked", expired: "expired", not_yet_valid: "not yet valid",
  invalid_signature: "invalid signature", unknown_issuer: "unknown issuer",
  not_in_registry: "not in the registry", malformed: "malformed",
};
const CHECKS = [
  ["signature", "Signature", "the Ed25519 proof matches the document"],
  ["issuer", "Issuer", "the signing key is registered to the member named as issuer"],
  ["registry", "Registry", "the registry holds this certificate"],
  ["validity", "Validity dates", "checked within validFrom … validUntil"],
  ["revocation", "Revocation", "not revoked"],
];
const RULE_STATUS = { pass: "pass", fail: "fail", not_applicable: "not applicable" };

async function call(path, { method = "GET", body, token } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (token) headers.Authorization = `Bearer ${token}`;
  const response = await fetch(API + BASE + path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (!response.ok) {
    const detail = data && data.detail !== undefined ? data.detail : response.statusText;
    throw new ApiError(response.status, typeof detail === "string" ? detail : JSON.stringify(detail),
      data && data.field ? data.field : null);
  }
  return data;
}

// "2026-11-28T00:00:00Z" -> "2026-11-28 00:00 UTC"
function when(text) {
  if (!text) return NA;
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(?::\d{2}(?:\.\d+)?)?Z$/.exec(text);
  return m ? `${m[1]} ${m[2]} UTC` : text;
}

function days(from, until) {
  const a = Date.parse(from); const b = Date.parse(until);
  return Number.isFinite(a) && Number.isFinite(b) ? `${num((b - a) / 86400000)} days` : NA;
}

// A rule's figure with its unit, from its name's suffix (as in the CLI's JSON).
function figure(key, value) {
  if (value === null || value === undefined || value === "") return NA;
  if (typeof value !== "number") return String(value);
  if (key.endsWith("_usd")) return Math.abs(value) < 1e6 ? `US$${num(value, 2)}` : usd(value);
  if (key.endsWith("_share")) return pct(value, 1);
  if (key.endsWith("_kg")) return `${num(value, 3)} kg`;
  if (key.endsWith("_t")) return `${num(value, 1)} t`;
  return num(value, 3);
}

function figures(obj) {
  return Object.entries(obj || {}).map(([k, v]) => `${k.replaceAll("_", " ")}: ${figure(k, v)}`).join("; ");
}

function checkText(value) {
  if (value === true) return "passed";
  if (value === false) return "failed";
  return "not checked";
}

function showVerdict(result) {
  const line = document.getElementById("verdict-line");
  line.className = `verdict ${result.valid ? "valid" : "invalid"}`;
  line.dataset.status = result.status;
  line.replaceChildren(
    el("strong", { id: "verdict-status", text: STATUS_TEXT[result.status] || result.status }),
    ` — ${result.reason}.`,
  );
  const rows = [
    { item: "serial", label: "Serial", value: result.serial, shown: result.serial || NA },
    { item: "issuer", label: "Issuing member authority", value: result.member, shown: result.member || NA },
    ...CHECKS.map(([key, label, what]) => ({
      item: `check:${key}`, label: `${label} (${what})`,
      value: result.checks[key] === undefined ? null : result.checks[key],
      shown: checkText(result.checks[key]),
    })),
    { item: "valid_from", label: "Valid from", value: result.valid_from, shown: when(result.valid_from) },
    { item: "valid_until", label: "Valid until", value: result.valid_until,
      shown: result.valid_until ? `${when(result.valid_until)} (${days(result.valid_from, result.valid_until)})` : NA },
    { item: "revoked_at", label: "Revoked", value: result.revoked_at,
      shown: result.revoked_at ? `${when(result.revoked_at)}: ${result.revocation_reason}`
        : result.checks.revocation === true ? "no" : "not checked" },
    { item: "checked_at", label: "Checked at", value: result.checked_at, shown: when(result.checked_at) },
  ];
  document.getElementById("verdict-table").replaceChildren(table([
    { key: "label", label: "Check" },
    { key: "value", label: "Result", format: (v, r) => r.shown },
  ], rows.map((r) => ({ ...r, value: r.value === null || r.value === undefined ? null : r.value })),
  { caption: "Verification of the certificate", id: "verdict-checks" }));
  // every row's item as a data attribute, so the table can be read by item
  for (const [i, tr] of [...document.querySelectorAll("#verdict-checks tbody tr")].entries()) {
    tr.dataset.item = rows[i].item;
  }
  const box = document.getElementById("verdict");
  box.hidden = false;
  document.body.dataset.verdict = result.status;
}

function showEvaluation(certificate) {
  const section = document.getElementById("evaluation");
  const subject = certificate && certificate.credentialSubject;
  const evaluation = subject && subject.evaluation;
  if (!evaluation || !Array.isArray(evaluation.packs)) {
    section.hidden = true;
    return;
  }
  const product = subject.product ? subject.product.name : NA;
  const applicant = subject.applicant ? `${subject.applicant.name} (${subject.applicant.country})` : NA;
  document.getElementById("evaluation-line").textContent =
    `Declaration ${evaluation.declaration_id} by ${applicant}: ${product}. Evaluated on ` +
    `${evaluation.evaluated_on}: ${RULE_STATUS[evaluation.status] || evaluation.status}` +
    `${subject.illustrative ? " (an illustrative declaration)" : ""}. As written in the certificate` +
    " (the verdict above says whether it is authentic).";
  const statusCell = (v) => RULE_STATUS[v] || v;
  document.getElementById("packs-table").replaceChildren(table([
    { key: "pack_id", label: "Rule pack" },
    { key: "version", label: "Version" },
    { key: "jurisdiction", label: "Jurisdiction" },
    { key: "valid_from", label: "Valid from" },
    { key: "valid_to", label: "Valid to", format: (v) => v || "open" },
    { key: "status", label: "Result", format: statusCell },
    { key: "reason", label: "Reason" },
  ], evaluation.packs, { caption: "Rule packs applied", id: "cert-packs" }));
  const rules = evaluation.packs.flatMap((p) => p.rules.map((r) => ({ pack_id: p.pack_id, ...r })));
  document.getElementById("rules-table").replaceChildren(table([
    { key: "pack_id", label: "Pack" },
    { key: "rule_id", label: "Rule" },
    { key: "name", label: "What it requires" },
    { key: "status", label: "Result", format: statusCell },
    { key: "reason", label: "Reason" },
    { key: "figures", label: "Figures", format: (v) => figures(v) || NA },
  ], rules.map((r) => ({ ...r, figures: r.figures })), { caption: "Every rule: pass, fail or not applicable", id: "cert-rules" }));
  const findings = rules.flatMap((r) => (r.findings || []).map((f) => ({ rule_id: r.rule_id, ...f })));
  document.getElementById("findings-table").replaceChildren(table([
    { key: "rule_id", label: "Rule" },
    { key: "lot_id", label: "Lot" },
    { key: "mineral", label: "Mineral" },
    { key: "entity", label: "Entity" },
    { key: "status", label: "Result", format: statusCell },
    { key: "reason", label: "Reason" },
    { key: "figures", label: "Figures", format: (v) => figures(v) || NA },
  ], findings, { caption: "Findings by lot and supplier", id: "cert-findings" }));
  // figures are objects: keep their JSON as the raw value
  for (const td of document.querySelectorAll("#cert-rules td[data-key='figures'], #cert-findings td[data-key='figures']")) {
    td.dataset.value = "";
  }
  for (const td of document.querySelectorAll("td[data-key='status']")) {
    td.classList.add(td.dataset.value === "pass" ? "pass" : td.dataset.value === "fail" ? "fail" : "na");
  }
  section.hidden = false;
}

function busy(on) {
  for (const id of ["verify-serial", "verify-document"]) document.getElementById(id).disabled = on;
  document.body.dataset.ready = on ? "0" : "1";
}

async function verifySerial(serial) {
  const token = document.getElementById("api-key").value.trim();
  const result = await call(`/certificates/${encodeURIComponent(serial)}/verify`);
  showVerdict(result);
  let certificate = null;
  if (token && result.status !== "not_in_registry") {
    certificate = (await call(`/certificates/${encodeURIComponent(serial)}`, { token })).certificate;
  }
  showEvaluation(certificate);
  return result;
}

async function verifyDocument(text) {
  let certificate;
  try {
    certificate = JSON.parse(text);
  } catch (err) {
    throw new Error(`the certificate is not valid JSON: ${err.message}`);
  }
  if (!certificate || typeof certificate !== "object" || Array.isArray(certificate)) {
    throw new Error("a certificate is a JSON object (a W3C Verifiable Credential)");
  }
  const result = await call("/verify", { method: "POST", body: certificate });
  showVerdict(result);
  showEvaluation(certificate);
  return result;
}

function clear() {
  document.getElementById("verdict").hidden = true;
  document.getElementById("evaluation").hidden = true;
  delete document.body.dataset.verdict;
}

async function run(work, what) {
  busy(true);
  clear();
  status(`Verifying ${what}…`);
  try {
    const result = await work();
    status(`Verified ${what}: ${STATUS_TEXT[result.status] || result.status}.`);
    document.getElementById("verdict").focus();
  } catch (err) {
    status(`Error: ${err.message}`, { error: true });
  } finally {
    busy(false);
  }
}

function main() {
  const serialInput = document.getElementById("serial");
  const params = new URLSearchParams(window.location.search);
  document.getElementById("serial-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const serial = serialInput.value.trim();
    if (!/^[A-Za-z0-9._:-]{1,64}$/.test(serial)) {
      clear();
      status("Error: a serial is 1 to 64 letters, digits, '.', '_', ':' or '-' (field: serial)", { error: true });
      serialInput.focus();
      return;
    }
    const url = new URL(window.location.href);
    url.searchParams.set("serial", serial);
    window.history.replaceState(null, "", url);
    run(() => verifySerial(serial), `serial ${serial}`);
  });
  const box = document.getElementById("certificate-json");
  document.getElementById("certificate-file").addEventListener("change", async (event) => {
    const file = event.target.files[0];
    if (!file) return;
    if (file.size > 5_000_000) {
      status("Error: the file is larger than 5 MB; a certificate is a few kB", { error: true });
      return;
    }
    box.value = await file.text();
    run(() => verifyDocument(box.value), file.name);
  });
  document.getElementById("document-form").addEventListener("submit", (event) => {
    event.preventDefault();
    if (!box.value.trim()) {
      clear();
      status("Error: paste a certificate first (field: certificate)", { error: true });
      box.focus();
      return;
    }
    run(() => verifyDocument(box.value), "the certificate");
  });
  const serial = params.get("serial");
  if (serial) {
    serialInput.value = serial;
    run(() => verifySerial(serial), `serial ${serial}`).then(ready);
  } else {
    ready();
  }
}

try {
  main();
} catch (err) {
  fail(err);
}
