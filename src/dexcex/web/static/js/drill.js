// The selected signal, in full: its features, what each input added to the confidence,
// the risk verdict and its reasons, the latency of each hop, and the realised outcome
// once the labeller has it.
"use strict";

const FEATURES = [
  ["imbalance_z", "imbalance z", 2], ["intensity", "intensity", 2], ["accumulation", "accumulation", 2],
  ["smart_money", "smart money", 2], ["buy_concentration", "buy concentration", 2],
  ["liq_velocity_bps_s", "liquidity bp/s", 3], ["vol_bps_sqrt_s", "vol bp/√s", 2],
  ["sigma_horizon_bps", "σ horizon bp", 1], ["cost_bps", "cost bp", 1], ["lead_corr", "lead corr", 2],
];
const HOPS = [
  ["dex_event_to_received", "DEX event → received"], ["received_to_signal", "received → signal"],
  ["signal_to_order", "signal → order"], ["order_to_ack", "order → ack"],
];
const HORIZONS = ["30s", "1m", "5m", "15m", "60m"];
let drillSeq = 0;

async function showDrill(id) {
  const mine = ++drillSeq;
  $("#drill-title").textContent = "loading…";
  let d;
  try {
    const r = await fetch(`/api/signals/${encodeURIComponent(id)}`);
    if (!r.ok) { $("#drill-title").textContent = r.status === 404 ? "not stored yet" : `error ${r.status}`; return; }
    d = await r.json();
  } catch (e) { return; }
  if (mine !== drillSeq) return; // another signal was selected meanwhile
  renderDrill(d);
}

function kv(box, k, v, c) {
  const dt = el("dt", "", k); const dd = el("dd", c || "", v);
  box.append(dt, dd);
}

function drillSection(title) {
  const s = el("div", "drill-sec");
  s.append(el("h4", "", title));
  return s;
}

function renderContributions(d) {
  const sec = drillSection(`confidence ${fmt(d.confidence * 100, 0)}% = σ(Σ)`);
  const entries = Object.entries(d.contributions || {});
  const max = Math.max(1, ...entries.map(([, v]) => Math.abs(v)));
  const list = el("ul", "contrib");
  for (const [k, v] of entries) {
    const li = el("li");
    const bar = el("span", "cbar " + (v >= 0 ? "up" : "down"));
    bar.style.width = `${(Math.abs(v) / max) * 100}%`;
    const track = el("span", "ctrack"); track.append(bar);
    li.append(el("span", "ck", k.replace("_", " ")), track, el("span", "cv " + cls(Number(fmt(v, 2))), signed(v, 2)));
    list.append(li);
  }
  if (!entries.length) list.append(el("li", "dim", "no breakdown (CEX-only baseline)"));
  sec.append(list);
  return sec;
}

function renderRiskSec(d) {
  const sec = drillSection(`risk: ${d.risk_decision || "—"}`);
  const dl = el("dl", "kv");
  kv(dl, "status", d.status + (d.status_reason ? ` — ${d.status_reason}` : ""));
  for (const r of d.risk_reasons || []) kv(dl, "reason", r);
  kv(dl, "size", d.size_base === null ? "—" : `${fmt(d.size_base, 4)} ≈ $${fmt(d.notional_quote, 2)}`);
  kv(dl, "est. slippage", d.est_slippage_bps === null ? "—" : `${fmt(d.est_slippage_bps, 1)} bp`);
  sec.append(dl);
  return sec;
}

function renderLatency(d) {
  const sec = drillSection("latency per hop");
  const dl = el("dl", "kv");
  for (const [k, label] of HOPS) {
    const v = d.latency_ms ? d.latency_ms[k] : null;
    kv(dl, label, v === null || v === undefined ? "—" : `${v} ms`);
  }
  sec.append(dl);
  return sec;
}

function renderOutcome(d) {
  const sec = drillSection("realised outcome");
  const o = d.outcomes || {};
  const labelled = HORIZONS.filter((h) => o[`ret_${h}`] !== null && o[`ret_${h}`] !== undefined);
  const dl = el("dl", "kv");
  if (!labelled.length) kv(dl, "status", "not labelled yet (after each horizon passes)");
  for (const h of labelled) {
    const net = o[`net_${h}`];
    kv(dl, h, `ret ${signed(o[`ret_${h}`], 1)} bp · net ${signed(net, 1)} bp · ${o[`label_${h}`] ? "hit" : "miss"}`, cls(Number(fmt(net, 1))));
  }
  kv(dl, "model p", "— (no model yet)");
  sec.append(dl);
  return sec;
}

function renderFeatures(d) {
  const sec = drillSection("features");
  const dl = el("dl", "kv");
  const f = d.features || {};
  for (const [k, label, dp] of FEATURES) if (f[k] !== undefined) kv(dl, label, fmt(f[k], dp));
  if (d.dex && d.dex.pool) kv(dl, "pool", `${d.dex.chain} ${String(d.dex.pool).slice(0, 10)}…`);
  if (d.cex && d.cex.spread_bps !== null) kv(dl, "CEX spread", `${fmt(d.cex.spread_bps, 1)} bp`);
  sec.append(dl);
  return sec;
}

function renderDrill(d) {
  $("#drill-title").textContent =
    `${d.asset_id.toUpperCase()} ${d.direction} · ${originLabel(d.origin)} · ${hms(d.created_ms)} · ${d.venue}`;
  const body = $("#drill-body");
  body.textContent = "";
  body.dataset.signal = d.id;
  body.append(renderContributions(d), renderFeatures(d), renderRiskSec(d), renderLatency(d), renderOutcome(d));
}
