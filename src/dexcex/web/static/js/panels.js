// The trader's panels: account & risk strip with its controls, positions with their exits,
// the trade history, performance (equity curve, DEX-led vs CEX-only, per asset), and the
// orders & alerts log.
"use strict";

const panels = { risk: null, positions: [], equity: null, historyTimer: null };

// --- account and risk ---------------------------------------------------------------------------
function meter(id, value, limit, text, badWhenHigh = true) {
  const m = $(id);
  m.querySelector(".val").textContent = text;
  const b = m.querySelector(".bar b");
  if (!b) return;
  const share = limit > 0 ? Math.min(1, Math.abs(value) / limit) : 0;
  b.style.width = `${(share * 100).toFixed(1)}%`;
  b.className = share >= 0.9 && badWhenHigh ? "hot" : share >= 0.6 ? "warm" : "";
}

function renderRisk(r) {
  if (!r) return;
  panels.risk = r;
  meter("#m-exposure", r.exposure_usd, r.max_exposure_usd, `$${fmt(r.exposure_usd, 0)} / $${fmt(r.max_exposure_usd, 0)}`);
  const loss = Math.max(0, -r.day_pnl_usd);
  meter("#m-day", loss, r.max_daily_loss_usd, `${signed(r.day_pnl_usd)} / −${fmt(r.max_daily_loss_usd, 0)} USDT`);
  const $day = $("#m-day .val");
  $day.className = "val " + cls(Number(fmt(r.day_pnl_usd)));
  const per = Object.entries(r.by_asset_usd || {}).filter(([, v]) => Math.abs(v) >= 0.005);
  $("#m-assets .val").textContent = per.length
    ? per.map(([a, v]) => `${a.toUpperCase()} $${fmt(v, 0)}`).join(" · ") + ` (max $${fmt(r.max_per_asset_usd, 0)})`
    : `none (max $${fmt(r.max_per_asset_usd, 0)} each)`;
  $("#m-balance .val").textContent = r.mode === "paper"
    ? "paper: fills against the live book, no venue balance" : balancesText(r.balances || {});
  const auto = $("#auto");
  if (document.activeElement !== auto) auto.checked = !!r.auto_execute;
  const k = r.kill_switch;
  const ks = $("#kill-state");
  ks.dataset.on = k.on ? "1" : "0";
  ks.textContent = k.on ? `KILL SWITCH ON — ${k.detail || k.reason}` : "kill switch off";
  $("#kill").textContent = k.on ? "Release…" : "Kill switch…";
}

function balancesText(b) {
  // per venue, the quote currency first, then what else it holds (dust left out)
  const venues = Object.entries(b);
  if (!venues.length) return "not read yet (reconciling with the venues)";
  return venues.map(([v, assets]) => {
    const held = Object.entries(assets).filter(([, q]) => q > 1e-9)
      .sort(([a], [c]) => (a === "USDT" ? -1 : c === "USDT" ? 1 : a.localeCompare(c)));
    return `${v.toUpperCase()}: ` + (held.length ? held.map(([a, q]) => `${a} ${fmtShort(q)}`).join(", ") : "empty");
  }).join(" · ");
}

async function onKillClick() {
  const on = !(panels.risk && panels.risk.kill_switch.on);
  $("#kill-title").textContent = on ? "Engage the kill switch?" : "Release the kill switch?";
  $("#kill-text").textContent = on
    ? "Every new entry is refused and open orders are cancelled, until you release it. It survives a restart."
    : "New entries are allowed again.";
  $("#kill-flatten-row").hidden = !on;
  $("#kill-ok").textContent = on ? "Engage" : "Release";
  const d = $("#kill-dialog");
  const ok = await new Promise((resolve) => { d.onclose = () => resolve(d.returnValue === "ok"); d.showModal(); });
  if (!ok) return;
  const r = await post("/api/kill", { on, flatten: on && $("#kill-flatten").checked, detail: "from the page" });
  if (r) { renderRisk(r); toast(on ? "kill switch on" : "kill switch released"); }
}

async function onAutoChange(e) {
  const want = e.target.checked;
  const r = await post("/api/auto", { on: want });
  if (r) { renderRisk(r); toast(want ? "automatic trading on" : "automatic trading paused"); }
  else e.target.checked = !want;
}

// --- positions, with their exits ----------------------------------------------------------------
function renderPositions(list) {
  panels.positions = list;
  const body = $("#positions tbody");
  body.textContent = "";
  let total = 0;
  const open = list.filter((p) => p.qty !== 0); // today's closed ones are in the history
  for (const p of list) total += (p.unrealized || 0) + p.realized;
  for (const p of open) {
    const name = p.asset_id.toUpperCase() + (p.origin === "dex" ? "" : ` (${originLabel(p.origin)})`);
    const tr = row([
      [name, "l"], [fmtQty(p.qty), cls(p.qty)], [fmtShort(p.avg_price)], [fmtShort(p.mark)],
      [fmt(p.unrealized, 2), cls(Number(fmt(p.unrealized, 2)))],
      [`${fmtShort(p.take_profit)} / ${fmtShort(p.stop_loss)}`, "tpsl"], ["", "countdown"], ["", "close"],
    ]);
    const btn = el("button", "exit-now", "exit");
    btn.type = "button";
    btn.title = `close this ${p.asset_id.toUpperCase()} position now, at the market`;
    btn.setAttribute("aria-label", `close the ${p.asset_id.toUpperCase()} position now`);
    btn.addEventListener("click", () => onExitClick(p));
    tr.querySelector(".close").append(btn);
    tr.dataset.exitAt = p.exit_at_ms ?? "";
    tr.title = `opened ${p.opened_ms ? hms(p.opened_ms) : "—"} · realised ${fmt(p.realized, 2)} · fees ${fmt(p.fees, 4)}`;
    body.append(tr);
  }
  tickCountdowns();
  $("#positions-empty").hidden = open.length > 0;
  const pnl = $("#pnl");
  pnl.textContent = list.length ? `PnL ${signed(total)} USDT` : "";
  pnl.className = "pnl " + cls(Number(fmt(total)));
}

async function onExitClick(p) {
  if (!window.confirm(`Close the ${p.asset_id.toUpperCase()} position now, at the market?`)) return;
  const o = await post("/api/positions/exit", { asset_id: p.asset_id, origin: p.origin });
  if (o) toast(`closing ${p.asset_id.toUpperCase()}: order ${o.client_order_id} ${o.status}`);
}

function tickCountdowns() {
  for (const tr of document.querySelectorAll("#positions tbody tr")) {
    const at = Number(tr.dataset.exitAt);
    const c = tr.querySelector(".countdown");
    if (c) c.textContent = at ? fmtDur((at - serverNow()) / 1000) : "—";
  }
}

// --- trade history and performance --------------------------------------------------------------
async function loadHistory() {
  try {
    const r = await fetch("/api/history?limit=100");
    if (r.ok) renderHistory(await r.json());
  } catch (e) { /* the stream's reconnect says the engine is away */ }
}
function historySoon() { clearTimeout(panels.historyTimer); panels.historyTimer = setTimeout(loadHistory, 300); }

function renderHistory(h) {
  const body = $("#history tbody");
  body.textContent = "";
  for (const t of h.trades) {
    const tr = row([
      [hms(t.closed_ms), "l"], [`${t.asset_id.toUpperCase()} · ${originLabel(t.origin)}`, "l"],
      [fmtShort(t.entry)], [fmtShort(t.exit)], [signed(t.pnl), cls(Number(fmt(t.pnl)))],
      [signed(t.pnl_bps, 0), cls(Number(fmt(t.pnl_bps, 0)))], [fmtDur(t.duration_s)], [t.exit_reason, "l reason"],
    ]);
    tr.title = `${t.signal_id}: ${fmt(t.qty, 4)} from ${hms(t.opened_ms)} to ${hms(t.closed_ms)}, fees ${fmt(t.fees, 4)}`;
    body.append(tr);
  }
  $("#history-empty").hidden = h.trades.length > 0;
  const total = h.equity.length ? h.equity[h.equity.length - 1][1] : 0;
  $("#history-sum").textContent = h.trades.length ? `${h.equity.length} round trips · ${signed(total)} USDT` : "";
  renderSplit(h.by_origin);
  renderByAsset(h.by_asset);
  renderEquity(h.equity);
}

function renderSplit(byOrigin) {
  const body = $("#split tbody");
  body.textContent = "";
  for (const o of ["dex", "cex_baseline"]) {
    const s = byOrigin[o];
    if (!s) { body.append(row([[originLabel(o), "l"], ["0"], ["0"], ["0"], ["—"], ["—"], ["—"]])); continue; }
    body.append(row([
      [originLabel(o), "l"], [String(s.signals)], [String(s.executed)], [String(s.round_trips)],
      [s.hit_rate === null ? "—" : `${fmt(s.hit_rate * 100, 0)}%`],
      [s.expectancy_bps === null ? "—" : signed(s.expectancy_bps, 1)],
      [signed(s.total_pnl_usdt), cls(Number(fmt(s.total_pnl_usdt)))],
    ]));
  }
}

function renderByAsset(list) {
  const body = $("#by-asset tbody");
  body.textContent = "";
  for (const a of list) {
    body.append(row([[a.asset_id.toUpperCase(), "l"], [String(a.trades)],
      [a.hit_rate === null ? "—" : `${fmt(a.hit_rate * 100, 0)}%`], [signed(a.pnl), cls(Number(fmt(a.pnl)))]]));
  }
  if (!list.length) body.append(row([["no round trip yet", "l dim"], [""], [""], [""]]));
}

function renderEquity(points) {
  const box = $("#equity");
  if (typeof uPlot === "undefined") return;
  const data = [points.map((p) => p[0] / 1000), points.map((p) => p[1])];
  if (data[0].length === 1) { data[0].unshift(data[0][0] - 60); data[1].unshift(0); }
  const width = Math.max(200, box.clientWidth);
  if (!panels.equity) {
    panels.equity = new uPlot({
      width, height: 130, cursor: { show: false }, select: { show: false },
      legend: { show: true, live: false },
      scales: { x: { time: true } },
      axes: [{ stroke: "#8b96a3", grid: { stroke: "#262f3a" }, size: 28, space: 90, values: (_u, v) => v.map((t) => hms(t * 1000)) },
        { stroke: "#8b96a3", grid: { stroke: "#262f3a" }, size: 46, label: "USDT", labelSize: 14 }],
      series: [{}, { label: "cumulative P/L (USDT)", stroke: "#2fbf71", width: 1.5, fill: "rgba(47,191,113,.08)" }],
    }, data, box);
  } else {
    if (Math.abs(panels.equity.width - width) > 4) panels.equity.setSize({ width, height: 130 });
    panels.equity.setData(data);
  }
}

// --- orders and alerts: each at its own time ----------------------------------------------------
const ALERTS = new Map(); // rule:source → its row
function addEvent(ts, text, kind, key) {
  const box = $("#events");
  let li = key ? ALERTS.get(key) : null;
  if (!li) {
    li = el("li");
    li.dataset.ts = ts;
    let before = null; // newest first, by time
    for (const c of box.children) if (Number(c.dataset.ts) <= ts) { before = c; break; }
    box.insertBefore(li, before);
    if (key) ALERTS.set(key, li);
  }
  li.className = kind;
  li.textContent = text;
  while (box.children.length > 80) {
    const last = box.lastChild;
    for (const [k, v] of ALERTS) if (v === last) ALERTS.delete(k);
    last.remove();
  }
}

function addAlert(a) {
  const key = `${a.rule}:${a.source || ""}`;
  const resolved = a.status === "resolved" || a.cleared_ts;
  const fired = a.status === "resolved" ? (ALERTS.get(key)?.dataset.fired || a.ts) : a.ts;
  const text = resolved
    ? `${hms(a.cleared_ts || a.ts)} ✓ resolved: ${a.rule}${a.source ? " (" + a.source + ")" : ""} — fired ${hms(Number(fired))}`
    : `${hms(a.ts)} ⚠ ${a.severity || "alert"}: ${a.rule} — ${a.message}`;
  addEvent(Number(a.cleared_ts || a.ts), text, resolved ? "alert resolved" : "alert firing", key);
  const li = ALERTS.get(key);
  if (li && !resolved) li.dataset.fired = a.ts;
}

const FINAL = ["filled", "canceled", "rejected", "failed"];
function addOrderEvent(o) {
  if (!FINAL.includes(o.status)) return;
  const leg = o.leg || "entry";
  const txt = `${hms(o.ts_ack || o.ts_created)} ${o.mode} ${leg} ${o.side} ${fmt(o.filled_qty, 2)} ${o.symbol} ${o.status}` +
    (o.avg_price ? ` @ ${fmtPrice(o.avg_price)}` : "") + (o.error ? ` — ${o.error}` : "") + (o.note ? ` (${o.note})` : "");
  addEvent(o.ts_ack || o.ts_created, txt, o.status === "filled" ? "fill" : "order-bad", "order:" + o.client_order_id);
  if (o.status === "filled") historySoon();
}

$("#kill").addEventListener("click", onKillClick);
$("#auto").addEventListener("change", onAutoChange);
setInterval(tickCountdowns, 1000);
