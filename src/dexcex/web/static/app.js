// One Glance: the page. One WebSocket (snapshot, then numbered messages), REST for clicks.
"use strict";

const state = {
  seq: -1, mode: "paper", signals: new Map(), order: [], selected: null, paused: false,
  onlyApproved: false, assets: new Map(), charts: new Map(), series: new Map(),
  symbols: new Map(), ws: null, backoff: 500, lastPaint: 0, sources: new Map(),
};
const MAX_ROWS = 200, CHART_POINTS = 240;
function age(ms) {
  const s = Math.max(0, (serverNow() - ms) / 1000);
  return s < 60 ? `${s.toFixed(0)}s` : s < 3600 ? `${(s / 60).toFixed(0)}m` : `${(s / 3600).toFixed(0)}h`;
}

// --- the stream ---------------------------------------------------------------------------------
function connect() {
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  const ws = new WebSocket(`${proto}//${location.host}/ws`);
  state.ws = ws;
  setConn("connecting", "connecting…");
  ws.onopen = () => { state.backoff = 500; setConn("open", "live"); };
  ws.onclose = () => {
    setConn("closed", "reconnecting…");
    setTimeout(connect, state.backoff);
    state.backoff = Math.min(state.backoff * 2, 8000);
  };
  ws.onmessage = (ev) => {
    const msg = JSON.parse(ev.data);
    if (msg.type === "snapshot") { state.seq = msg.seq; applySnapshot(msg); return; }
    if (msg.seq !== state.seq + 1) { ws.close(); return; } // a gap: resync with a new snapshot
    state.seq = msg.seq;
    clockOffset = msg.ts - Date.now();
    handle(msg);
  };
}
function setConn(s, text) { const c = $("#conn"); c.dataset.state = s; c.textContent = text; }

function handle(msg) {
  switch (msg.type) {
    case "signal": addSignal(msg.data, true); break;
    case "order": onOrder(msg.data); addOrderEvent(msg.data); break;
    case "price": onPrice(msg.data); break;
    case "assets": renderAssets(msg.data); break;
    case "positions": renderPositions(msg.data); break;
    case "status": renderStatus(msg.data); break;
    case "risk": renderRisk(msg.data); break;
    case "alert": addAlert(msg.data); break;
  }
}

function applySnapshot(msg) {
  const d = msg.data;
  clockOffset = msg.ts - Date.now();
  renderStatus(d.status);
  state.signals.clear(); state.order = [];
  $("#feed").textContent = "";
  for (const s of [...d.signals].reverse()) addSignal(s, false);
  $("#events").textContent = "";
  ALERTS.clear();
  for (const o of [...d.orders].reverse()) { onOrder(o, true); addOrderEvent(o); } // fills survive a reload
  for (const a of [...d.alerts].reverse()) addAlert(a);
  renderAssets(d.assets);
  renderPositions(d.positions);
  renderRisk(d.risk);
  loadHistory();
  if (state.selected && state.signals.has(state.selected)) showDrill(state.selected);
}

// --- status bar ---------------------------------------------------------------------------------
const LIGHT_WORD = { green: "working", amber: "degraded", red: "down" };
function lightTitle(s) {
  // the first line says what the light says; the state and the detail say why
  const lat = s.latency_p50_ms === null ? "n/a" : `p50 ${fmt(s.latency_p50_ms, 0)} ms, p99 ${fmt(s.latency_p99_ms, 0)} ms`;
  const last = s.last_msg_age_ms === null ? "never" : `${(s.last_msg_age_ms / 1000).toFixed(1)} s ago`;
  return `${s.name}: ${LIGHT_WORD[s.light]}${s.active ? "" : " (standby)"} — state ${s.state}` +
    (s.detail ? `: ${s.detail}` : "") + (s.accuracy !== null && s.accuracy !== undefined ? `\nagrees with the others in ${fmt(s.accuracy * 100, 0)}% of samples` : "") +
    `\nlatency ${lat}\nlast message ${last}, ${fmt(s.msg_rate, 1)}/s\nerrors ${s.errors}, 429s ${s.rate_limited}, reconnects ${s.reconnects}`;
}
function renderStatus(st) {
  state.mode = st.mode;
  const m = $("#mode");
  m.dataset.mode = st.mode;
  m.textContent = st.mode === "live" ? "LIVE — real money" : "PAPER";
  m.title = st.mode === "live" ? "orders go to the exchange" : "simulated fills against the live book";
  const box = $("#lights");
  box.textContent = "";
  for (const s of st.sources) {
    state.sources.set(s.name, s);
    const l = el("span", "light" + (s.active ? "" : " standby"));
    l.dataset.light = s.light;
    l.dataset.source = s.name;
    l.append(el("i"), document.createTextNode(s.name));
    l.title = lightTitle(s);
    box.append(l);
  }
  if (st.active_venue) {
    // the route is only as good as the venue it goes to
    const venue = st.sources.find((x) => x.name === st.active_venue);
    const v = el("span", "light route");
    v.dataset.light = venue ? venue.light : "red";
    v.dataset.source = "route";
    v.append(el("i"), document.createTextNode(`orders → ${st.active_venue}`));
    v.title = `orders are routed to ${st.active_venue}: ${venue ? LIGHT_WORD[venue.light] : "no status"}` +
      (venue && venue.detail ? ` — ${venue.detail}` : "");
    box.append(v);
  }
}

// --- signals ------------------------------------------------------------------------------------
function addSignal(s, fresh) {
  const known = state.signals.get(s.id);
  state.signals.set(s.id, { ...(known || {}), ...s });
  if (known) { paintSignal(s.id); return; }
  if (state.paused && fresh) { state.order.unshift(s.id); return; }
  state.order.unshift(s.id);
  const li = el("li");
  li.id = "sig-" + s.id;
  li.tabIndex = -1;
  li.addEventListener("click", (e) => { if (!e.target.closest("button")) select(s.id); });
  $("#feed").prepend(li);
  if (fresh) li.classList.add("new");
  paintSignal(s.id);
  while (state.order.length > MAX_ROWS) {
    const old = state.order.pop();
    state.signals.delete(old);
    document.getElementById("sig-" + old)?.remove();
  }
  $("#feed-empty").hidden = state.order.length > 0;
}

function executableWhy(s) {
  if (s.order_client_id || s._order) return "executed";
  if (s.risk_decision !== "approved") return (s.risk_reasons && s.risk_reasons[0]) || "rejected by risk";
  if (!s.executable) return s.status_reason || "not executable on this venue";
  if (s.expires_ms && serverNow() > s.expires_ms) return "expired";
  return null;
}

function paintSignal(id) {
  const s = state.signals.get(id);
  const li = document.getElementById("sig-" + id);
  if (!s || !li) return;
  const expired = s.status === "expired" || (s.expires_ms && serverNow() > s.expires_ms && !s._order);
  li.className = `sig ${s.direction}` + (li.classList.contains("new") ? " new" : "") +
    (expired ? " expired" : "") + (state.selected === id ? " selected" : "");
  li.style.setProperty("--c", s.confidence);
  li.hidden = state.onlyApproved && s.risk_decision !== "approved";
  li.dataset.approved = s.risk_decision === "approved" ? "1" : "0";
  li.textContent = "";
  const asset = el("span", "asset", s.asset_id.toUpperCase());
  asset.append(el("small", "", `${s.venue} · ${originLabel(s.origin)}`));
  li.append(
    el("span", "age", age(s.created_ms)), asset,
    el("span", "dir", s.direction), el("span", "conf", fmt(s.confidence * 100, 0) + "%"),
    el("span", "move", fmt(s.expected_move_bps, 0) + "bp"),
    el("span", "slip", s.est_slippage_bps === null ? "—" : fmt(s.est_slippage_bps, 1) + "bp"),
  );
  const act = el("span", "act");
  const o = s._order;
  if (o) {
    const filled = o.filled_qty > 0;
    const failed = ["rejected", "failed", "canceled"].includes(o.status) && !filled;
    const txt = filled
      ? `${o.status === "filled" ? "filled" : o.status} ${fmt(o.filled_qty, 2)} @ ${fmtPrice(o.avg_price)}`
      : `${o.status}${o.error ? ": " + o.error : ""}`;
    const f = el("span", "fill" + (filled ? "" : failed ? " bad" : " pending"), txt);
    f.title = `${o.client_order_id} on ${o.venue} (${o.mode})` + (o.note ? `\n${o.note}` : "");
    act.append(f);
  } else {
    const why = executableWhy(s);
    if (why) {
      const w = el("span", "why", why);
      w.title = why;
      act.append(w);
    } else {
      const b = el("button", "", `${s.direction === "long" ? "Buy" : "Sell"} ≈${fmtPrice(s.est_price)} · ${fmt(s.est_slippage_bps, 1)}bp`);
      b.dataset.action = "execute";
      b.title = `${state.mode === "live" ? "LIVE" : "paper"} market ${s.direction === "long" ? "buy" : "sell"} of ` +
        `${fmt(s.size_base, 4)} ${s.symbol} — est. fill ${fmtPrice(s.est_price)}, slippage ${fmt(s.est_slippage_bps, 1)} bps`;
      b.addEventListener("click", () => execute(id));
      act.append(b);
    }
  }
  li.append(act);
}

function select(id) {
  const prev = state.selected;
  state.selected = id;
  if (prev) paintSignal(prev);
  paintSignal(id);
  document.getElementById("sig-" + id)?.scrollIntoView({ block: "nearest" });
  if (prev !== id) showDrill(id);
}

async function execute(id) {
  const s = state.signals.get(id);
  if (!s || executableWhy(s)) return;
  const body = { confirm: false };
  if (state.mode === "live") {
    $("#confirm-text").textContent =
      `${s.direction === "long" ? "BUY" : "SELL"} ${fmt(s.size_base, 4)} ${s.symbol} at market on ${s.venue}: ` +
      `est. fill ${fmtPrice(s.est_price)}, slippage ${fmt(s.est_slippage_bps, 1)} bps, ≈${fmt(s.notional_quote, 2)} USDT.`;
    const ok = await new Promise((resolve) => {
      const d = $("#confirm");
      d.onclose = () => resolve(d.returnValue === "ok");
      d.showModal();
    });
    if (!ok) return;
    body.confirm = true;
  }
  const btn = document.querySelector(`#sig-${CSS.escape(id)} button[data-action=execute]`);
  if (btn) { btn.disabled = true; btn.textContent = "sending…"; }
  const data = await post(`/api/signals/${encodeURIComponent(id)}/execute`, body);
  if (!data) { paintSignal(id); return; }
  onOrder(data.order);
}

function onOrder(o) {
  if (o.signal_id && state.signals.has(o.signal_id) && o.leg === "entry") {
    const s = state.signals.get(o.signal_id);
    const cur = s._order;
    // the entry with the furthest state wins (a failover's second attempt replaces the first)
    if (!cur || cur.client_order_id === o.client_order_id || o.client_order_id > cur.client_order_id) {
      s._order = o;
      paintSignal(o.signal_id);
    }
  }
}

// --- asset tiles: DEX and CEX from the same message, the basis from those two ---------------
function basisOf(a) {
  return a.dex_price_usd && a.cex_mid ? (a.cex_mid / a.dex_price_usd - 1) * 1e4 : null;
}
function paintTilePrices(t, a) {
  const b = basisOf(a);
  const basis = t.querySelector(".basis");
  basis.textContent = b === null ? "" : `basis ${signed(b, 0)} bp`;
  basis.className = "basis " + (b === null ? "" : cls(Number(fmt(b, 0))));
  basis.title = "CEX mid ÷ DEX price − 1, from the two prices shown (+: the CEX is above the DEX)";
  t.querySelector(".dex").textContent = `DEX ${fmtPrice(a.dex_price_usd)}`;
  t.querySelector(".cex").textContent = `CEX ${fmtPrice(a.cex_mid)}`;
}
function renderAssets(list) {
  const box = $("#tiles");
  for (const a of list) {
    const known = state.assets.get(a.asset_id);
    state.assets.set(a.asset_id, { ...(known || {}), ...a });
    if (a.symbol) state.symbols.set(a.symbol, a.asset_id);
    let t = document.getElementById("tile-" + a.asset_id);
    if (!t) {
      t = el("div", "tile"); t.id = "tile-" + a.asset_id;
      t.innerHTML = `<div class="top"><span class="name"></span><span class="basis"></span></div>
        <div class="px"><span class="dex"></span><span class="cex"></span></div>
        <div class="chart"></div>
        <div class="gauge" title="DEX order-flow imbalance (trigger window)"><b></b></div>
        <div class="meta"><span class="imb"></span><span class="liq"></span></div>`;
      box.append(t);
    }
    t.querySelector(".name").textContent = a.asset_id.toUpperCase();
    paintTilePrices(t, state.assets.get(a.asset_id));
    const g = t.querySelector(".gauge b");
    const w = Math.min(50, Math.abs(a.imbalance) * 50);
    g.className = a.imbalance >= 0 ? "up" : "down";
    g.style.left = a.imbalance >= 0 ? "50%" : `${50 - w}%`;
    g.style.width = `${w}%`;
    t.querySelector(".imb").textContent = `imb ${fmt(a.imbalance, 2)} · $${Math.round(a.buy_usd + a.sell_usd).toLocaleString()}`;
    const liq = t.querySelector(".liq");
    const v = a.liquidity_velocity_usd_s;
    liq.textContent = a.liquidity_usd === null ? "liq —" :
      `liq $${Math.round(a.liquidity_usd).toLocaleString()} ${v > 0.5 ? "▲" : v < -0.5 ? "▼" : "•"}`;
    liq.className = "liq " + (v > 0.5 ? "liq-up" : v < -0.5 ? "liq-down" : "");
    liq.title = `pool liquidity velocity ${fmt(v, 1)} USD/s · regime ${a.regime}`;
    pushPoint(a.asset_id, a.dex_price_usd, a.cex_mid);
  }
}

function onPrice(p) {
  const id = p.kind === "dex" ? p.asset_id : state.symbols.get(p.symbol);
  if (!id) return;
  const a = state.assets.get(id);
  if (!a) return;
  if (p.kind === "dex") a.dex_price_usd = p.price; else a.cex_mid = p.price;
  const t = document.getElementById("tile-" + id);
  if (t) paintTilePrices(t, a);
}

// a price range around the data (uPlot's default starts a lone point's range at zero)
function padded(_u, min, max) {
  if (min === null || max === null || !isFinite(min) || !isFinite(max)) return [0, 1];
  const pad = max > min ? (max - min) * 0.1 : Math.abs(max) * 0.001 || 1e-9;
  return [min - pad, max + pad];
}
const AXIS = { stroke: "#8b96a3", grid: { stroke: "#262f3a", width: 1 }, ticks: { stroke: "#262f3a" }, font: "10px system-ui" };
function pushPoint(id, dex, cex) {
  let s = state.series.get(id);
  if (!s) { s = [[], [], []]; state.series.set(id, s); }
  s[0].push(serverNow() / 1000); s[1].push(dex ?? null); s[2].push(cex ?? null);
  if (s[0].length > CHART_POINTS) s.forEach((arr) => arr.shift());
  const box = document.querySelector(`#tile-${CSS.escape(id)} .chart`);
  if (!box || typeof uPlot === "undefined") return;
  let u = state.charts.get(id);
  const width = Math.max(120, box.clientWidth);
  if (!u) {
    // one scale per line: the basis would otherwise flatten both
    u = new uPlot({
      width, height: 96, cursor: { show: false }, select: { show: false },
      legend: { show: true, live: false },
      scales: { x: { time: true }, dex: { range: padded }, cex: { range: padded } },
      axes: [{ ...AXIS, size: 24, space: 70, values: (_u, v) => v.map((t) => hms(t * 1000).slice(3)) },
        { ...AXIS, scale: "dex", size: 58, space: 24, stroke: "#d29922", values: (_u, v) => v.map(fmtShort) },
        { ...AXIS, scale: "cex", side: 1, size: 58, space: 24, stroke: "#58a6ff", grid: { show: false }, values: (_u, v) => v.map(fmtShort) }],
      series: [{}, { stroke: "#d29922", width: 1.5, label: "DEX", scale: "dex", points: { show: false } },
        { stroke: "#58a6ff", width: 1.5, label: "CEX", scale: "cex", points: { show: false } }],
    }, s, box);
    state.charts.set(id, u);
  } else {
    if (Math.abs(u.width - width) > 4) u.setSize({ width, height: 96 });
    u.setData(s);
  }
}

// --- keyboard and controls ----------------------------------------------------------------------
function visibleIds() { return state.order.filter((id) => { const li = document.getElementById("sig-" + id); return li && !li.hidden; }); }
document.addEventListener("keydown", (e) => {
  if (e.target.closest("input, textarea, dialog") || e.metaKey || e.ctrlKey || e.altKey) return;
  const ids = visibleIds();
  const i = ids.indexOf(state.selected);
  if (e.key === "j" || e.key === "ArrowDown") { if (ids.length) select(ids[Math.min(ids.length - 1, i + 1)]); e.preventDefault(); }
  else if (e.key === "k" || e.key === "ArrowUp") { if (ids.length) select(ids[Math.max(0, i - 1)]); e.preventDefault(); }
  else if (e.key === "Enter" && state.selected) { execute(state.selected); e.preventDefault(); }
  else if (e.key === "p") togglePause();
  else if (e.key === "a") { const c = $("#only-approved"); c.checked = !c.checked; c.dispatchEvent(new Event("change")); }
  else if (e.key === "?") $("#help").showModal();
});
function togglePause() {
  state.paused = !state.paused;
  $("#pause").textContent = state.paused ? "resume" : "pause";
  if (!state.paused && state.ws) state.ws.close(); // resume = resync
}
$("#pause").addEventListener("click", togglePause);
$("#only-approved").addEventListener("change", (e) => {
  state.onlyApproved = e.target.checked;
  for (const id of state.order) paintSignal(id);
});

// ages and expiry fade once a second, without waiting for messages
setInterval(() => {
  for (const id of state.order.slice(0, 60)) {
    const li = document.getElementById("sig-" + id);
    if (!li) continue;
    const s = state.signals.get(id);
    const a = li.querySelector(".age");
    if (a) a.textContent = age(s.created_ms);
    const exp = s.expires_ms && serverNow() > s.expires_ms && !s._order;
    if (exp !== li.classList.contains("expired")) paintSignal(id);
  }
}, 1000);

connect();
