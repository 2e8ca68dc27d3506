// Shared by the page's scripts: selectors, formatting, the server's clock, the token.
"use strict";

const $ = (sel) => document.querySelector(sel);
let clockOffset = 0; // server market time − local time (the simulator may run faster)
const serverNow = () => Date.now() + clockOffset;

// a number, never "−0.00": what rounds to zero is shown as zero
function fmt(v, d = 2) {
  if (v === null || v === undefined || !isFinite(v)) return "—";
  const x = Number(v);
  return (Math.abs(x) < 0.5 * 10 ** -d ? 0 : x).toFixed(d);
}
const signed = (v, d = 2) => (v === null || v === undefined || !isFinite(v) ? "—" : (Number(fmt(v, d)) > 0 ? "+" : "") + fmt(v, d));
function fmtPrice(p) {
  if (p === null || p === undefined || !isFinite(p)) return "—";
  const a = Math.abs(p);
  const d = a >= 1000 ? 2 : a >= 1 ? 4 : a >= 0.01 ? 6 : 9;
  return Number(p).toFixed(d);
}
// for narrow places (table cells, chart axes): four significant digits, tiny ones as e-notation
function fmtShort(p) {
  if (p === null || p === undefined || !isFinite(p)) return "—";
  const a = Math.abs(p);
  if (a === 0) return "0";
  if (a < 0.001) return Number(p).toExponential(3);
  return a >= 1000 ? Number(p).toFixed(1) : Number(p).toPrecision(5);
}
function fmtQty(q) {
  if (q === null || q === undefined || !isFinite(q)) return "—";
  const a = Math.abs(q);
  return a >= 1e6 ? `${fmt(q / 1e6, 2)}M` : a >= 1e4 ? `${fmt(q / 1e3, 1)}k` : fmt(q, 3);
}
function fmtDur(s) {
  if (s === null || s === undefined || !isFinite(s)) return "—";
  s = Math.max(0, Math.round(s));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}
const hms = (ms) => new Date(ms).toISOString().slice(11, 19);
const ORIGIN = { dex: "DEX-led", cex_baseline: "CEX-only" };
const originLabel = (o) => ORIGIN[o] || o;
const cls = (v) => (v > 0 ? "pos" : v < 0 ? "neg" : "");

function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}
function row(cells) {
  const tr = el("tr");
  for (const [v, c] of cells) tr.append(el("td", c || "", v));
  return tr;
}
function toast(text, error = false) {
  const t = $("#toast");
  t.textContent = text; t.className = "toast show" + (error ? " error" : "");
  clearTimeout(toast.timer); toast.timer = setTimeout(() => (t.className = "toast"), 3500);
}

// --- the token: from the terminal's URL (#token=…), kept in this browser only ----------------
(function takeToken() {
  const m = location.hash.match(/token=([A-Za-z0-9_-]+)/);
  if (m) {
    localStorage.setItem("dexcex-token", m[1]);
    history.replaceState(null, "", location.pathname + location.search);
  }
})();
const token = () => localStorage.getItem("dexcex-token") || "";
function askToken() {
  let t = token();
  if (!t) {
    t = (prompt("The API token (printed in the terminal at start, or in the data directory's api-token file):") || "").trim();
    if (t) localStorage.setItem("dexcex-token", t);
  }
  return t;
}
// a POST that needs the token: the answer's JSON, or null after a toast saying why
async function post(path, body) {
  const t = askToken();
  if (!t) return null;
  try {
    const r = await fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${t}` },
      body: JSON.stringify(body),
    });
    const data = await r.json();
    if (!r.ok) {
      if (r.status === 401) localStorage.removeItem("dexcex-token");
      toast(data.detail || `error ${r.status}`, true);
      return null;
    }
    return data;
  } catch (e) {
    toast(`could not reach the engine: ${e}`, true);
    return null;
  }
}
