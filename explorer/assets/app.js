// gobcos explorer: a small single-page app over the node's JSON-RPC
// (through the explorer's /rpc endpoint) and the explorer's /api views.
"use strict";

(function () {
  const main = document.getElementById("main");
  const live = document.getElementById("live");
  // Pages refresh when the explorer's event stream (/api/events) reports
  // a block; while the stream is down they poll slowly.
  const FALLBACK_POLL_MS = 10000;
  const STREAM_RETRY_MS = 30000;
  let groupNodes = [];      // bcos_getGroupNodes of the primary node
  let sealers = [];         // bcos_getSealerList, in signature index order
  let refresh = null;       // re-renders the live parts of the current page
  let missedHead = false;   // a block arrived while the page had no refresh yet (its first load)
  let routeSeq = 0;         // drops answers of pages left meanwhile
  let pendingFilter = null;
  let lastHead = 0;         // the latest block the event stream reported
  const pendingSeen = new Map();

  // ---- helpers -------------------------------------------------------
  function esc(s) {
    return String(s == null ? "" : s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  }
  function num(hex) { return hex == null ? null : Number(BigInt(hex)); }
  function big(hex) { return hex == null ? "" : BigInt(hex).toString(); }
  function short(h, n) { n = n || 10; return h && h.length > 2 * n ? h.slice(0, n) + "…" + h.slice(-6) : (h || ""); }
  function fmtTime(sec) {
    if (!sec) return "—";
    const d = new Date(sec * 1000);
    return d.toLocaleString() + " <span class=\"muted\">(" + ago(sec) + ")</span>";
  }
  function ago(sec) {
    const s = Math.max(0, Math.round(Date.now() / 1000 - sec));
    if (s < 60) return s + "s ago";
    if (s < 3600) return Math.floor(s / 60) + "m ago";
    if (s < 86400) return Math.floor(s / 3600) + "h ago";
    return Math.floor(s / 86400) + "d ago";
  }
  function blockLink(n) { return "<a href=\"#/block/" + esc(n) + "\">" + esc(n) + "</a>"; }
  function txLink(h, full) { return "<a class=\"short\" href=\"#/tx/" + esc(h) + "\">" + esc(full ? h : short(h)) + "</a>"; }
  function addrLink(a, full) { return a ? "<a class=\"short\" href=\"#/address/" + esc(a) + "\">" + esc(full ? a : short(a)) + "</a>" : "—"; }
  function badge(text, kind) { return "<span class=\"badge " + (kind || "") + "\">" + esc(text) + "</span>"; }
  function errorBox(e) { return "<div class=\"error\">" + esc(e && e.message ? e.message : e) + "</div>"; }
  function fields(rows) {
    return "<dl class=\"fields\">" + rows.map((r) => "<dt>" + esc(r[0]) + "</dt><dd data-field=\"" + esc(r[2] || "") + "\">" + r[1] + "</dd>").join("") + "</dl>";
  }
  function nodeByAddress(addr) {
    if (!addr) return null;
    addr = addr.toLowerCase();
    return groupNodes.find((n) => n.address.toLowerCase() === addr) || null;
  }
  function nodeLabel(n) { return n ? (n.name || short(n.nodeId, 8)) + (n.org ? " · " + n.org : "") : ""; }

  async function rpc(method, params) {
    const r = await fetch("/rpc", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: method, params: params || [] }) });
    const body = await r.json();
    if (body.error) throw new Error(method + ": " + (body.error.message || body.error));
    return body.result;
  }
  async function rpcBatch(calls) {
    if (calls.length === 0) return [];
    const reqs = calls.map((c, i) => ({ jsonrpc: "2.0", id: i, method: c[0], params: c[1] || [] }));
    const r = await fetch("/rpc", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(reqs) });
    const body = await r.json();
    if (!Array.isArray(body)) throw new Error(body.error || "bad batch answer");
    const out = [];
    for (const a of body) {
      if (a.error) throw new Error(calls[a.id][0] + ": " + a.error.message);
      out[a.id] = a.result;
    }
    return out;
  }
  async function api(path, body) {
    const r = await fetch(path, body ? { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) } : {});
    const out = await r.json();
    if (!r.ok) throw new Error(out.error || r.statusText);
    return out;
  }
  async function loadGroup() {
    try {
      const [g, s] = await rpcBatch([["bcos_getGroupNodes"], ["bcos_getSealerList"]]);
      groupNodes = g || []; sealers = s || [];
    } catch (e) {
      try { sealers = await rpc("bcos_getSealerList"); groupNodes = sealers; } catch (e2) { /* shown by the page */ }
    }
  }

  // Other scripts (gov.js) add pages through window.explorerUI.
  const pages = {};
  window.explorerUI = {
    esc, num, big, short, fmtTime, ago, blockLink, txLink, addrLink, badge, errorBox, fields, rpc, rpcBatch, api,
    nodeLabel, decodedHTML: (d) => decodedHTML(d),
    groupNodes: () => groupNodes,
    main: () => main,
    current: (seq) => seq === routeSeq,
    lastHead: () => lastHead,
    setRefresh: (f) => installRefresh(f),
    setLive: (ok) => setLive(ok),
    addPage: (name, render) => { pages[name] = render; },
  };

  // ---- overview ------------------------------------------------------
  function chart(series) {
    if (!series || series.length === 0) return "<p class=\"muted\">No blocks yet.</p>";
    const W = 720, H = 180, padL = 34, padB = 22, padT = 8;
    const maxTx = Math.max(1, ...series.map((p) => p.txs));
    const bw = (W - padL) / Math.max(series.length, 60);
    let bars = "";
    series.forEach((p, i) => {
      const h = (H - padB - padT) * p.txs / maxTx;
      const x = padL + i * bw;
      bars += "<rect class=\"bar\" x=\"" + (x + 0.5).toFixed(1) + "\" y=\"" + (H - padB - h).toFixed(1) + "\" width=\"" + Math.max(1, bw - 1).toFixed(1) +
        "\" height=\"" + Math.max(h, p.txs > 0 ? 1 : 0).toFixed(1) + "\"><title>block " + p.number + ": " + p.txs + " txs, " + new Date(p.time * 1000).toLocaleTimeString() + "</title></rect>";
    });
    const first = series[0], last = series[series.length - 1];
    return "<svg viewBox=\"0 0 " + W + " " + H + "\" role=\"img\" aria-label=\"transactions per block\">" +
      "<line class=\"axis\" x1=\"" + padL + "\" y1=\"" + (H - padB) + "\" x2=\"" + W + "\" y2=\"" + (H - padB) + "\"/>" +
      "<line class=\"axis\" x1=\"" + padL + "\" y1=\"" + padT + "\" x2=\"" + padL + "\" y2=\"" + (H - padB) + "\"/>" +
      "<text x=\"" + (padL - 4) + "\" y=\"" + (padT + 8) + "\" text-anchor=\"end\">" + maxTx + "</text>" +
      "<text x=\"" + (padL - 4) + "\" y=\"" + (H - padB) + "\" text-anchor=\"end\">0</text>" + bars +
      "<text x=\"" + padL + "\" y=\"" + (H - 6) + "\">#" + first.number + " · " + new Date(first.time * 1000).toLocaleTimeString() + "</text>" +
      "<text x=\"" + W + "\" y=\"" + (H - 6) + "\" text-anchor=\"end\">#" + last.number + " · " + new Date(last.time * 1000).toLocaleTimeString() + "</text></svg>";
  }

  function nodesTable(sv) {
    const rows = sv.nodes.map((n) => {
      const info = n.info;
      let state;
      if (n.reachable) state = badge("online", "ok");
      else if (n.connected) state = badge("connected", "ok");
      else if (n.rpc) state = badge("unreachable", "bad");
      else state = badge("not connected", "warn");
      return "<tr class=\"node-row\" data-node=\"" + esc(n.nodeId) + "\">" +
        "<td><span class=\"short\" title=\"" + esc(n.nodeId) + "\">" + esc(short(n.nodeId, 10)) + "</span>" + (n.name ? "<div class=\"muted\">" + esc(n.name) + "</div>" : "") + "</td>" +
        "<td>" + (esc(n.org) || "<span class=\"muted\">unknown</span>") + "</td>" +
        "<td>" + addrLink(n.address) + (n.rpc ? "<div class=\"muted short\">" + esc(n.rpc) + "</div>" : "") + "</td>" +
        "<td>" + badge(n.role, n.role === "sealer" ? "" : "grey") + (info && info.consensus.leader ? " " + badge("leader", "ok") : "") + "</td>" +
        "<td class=\"node-height\">" + (info ? blockLink(num(info.blockNumber)) : "<span class=\"muted\">—</span>") + "</td>" +
        "<td>" + (info ? num(info.consensus.view) : "—") + "</td>" +
        "<td>" + (info ? num(info.peerCount) : "—") + "</td>" +
        "<td>" + (info ? num(info.pendingTxSize) : "—") + "</td>" +
        "<td>" + state + "</td></tr>";
    }).join("");
    return "<table id=\"nodes\"><thead><tr><th>Node</th><th>Organisation</th><th>Account / RPC</th><th>Role</th><th>Height</th><th>View</th><th>Peers</th><th>Pool</th><th>State</th></tr></thead><tbody>" + rows + "</tbody></table>";
  }

  async function renderOverview(seq) {
    main.innerHTML = "<h1>Overview</h1>" +
      "<div class=\"cards\">" +
      "<div class=\"card\"><div class=\"label\">Block height</div><div class=\"value\" id=\"overview-height\">—</div></div>" +
      "<div class=\"card\"><div class=\"label\">Transactions</div><div class=\"value\" id=\"overview-txs\">—</div></div>" +
      "<div class=\"card\"><div class=\"label\">Nodes</div><div class=\"value\" id=\"overview-nodes\">—</div></div>" +
      "<div class=\"card\"><div class=\"label\">Pending txs</div><div class=\"value\" id=\"overview-pending\">—</div></div>" +
      "<div class=\"card\"><div class=\"label\">Consensus</div><div class=\"value\" id=\"overview-consensus\">—</div></div>" +
      "</div>" +
      "<div class=\"panel\"><h2>Nodes</h2><div id=\"nodes-box\"><p class=\"muted\">Asking the nodes&hellip;</p></div></div>" +
      "<div class=\"grid2\"><div class=\"panel\"><h2>Latest blocks</h2><div id=\"blocks-box\"></div></div>" +
      "<div class=\"panel chart\"><h2>Transactions per block</h2><div id=\"chart-box\"></div></div></div>";
    const update = async () => {
      try {
        const [stats, sv, pending] = await Promise.all([api("/api/stats"), api("/api/nodes"), rpc("bcos_getPendingTxSize")]);
        if (seq !== routeSeq) return;
        const head = Math.max(stats.head, sv.height, lastHead);
        document.getElementById("overview-height").textContent = head;
        document.getElementById("overview-txs").textContent = stats.totalTxs + (stats.complete ? "" : "+");
        document.getElementById("overview-nodes").textContent = sv.nodes.length;
        document.getElementById("overview-pending").textContent = num(pending);
        document.getElementById("overview-consensus").textContent = sv.consensus || "—";
        document.getElementById("nodes-box").innerHTML = nodesTable(sv) +
          (sv.unknown && sv.unknown.length ? "<p class=\"muted\">" + sv.unknown.length + " endpoint(s) not in the node list: " + sv.unknown.map((u) => esc(u.rpc)).join(", ") + "</p>" : "");
        document.getElementById("chart-box").innerHTML = chart(stats.series);
        document.getElementById("chain-line").textContent = "chain " + sv.chainId + " · group " + sv.groupId + " · " + sv.consensus;
        const from = head, to = Math.max(0, head - 9);
        const calls = [];
        for (let n = from; n >= to; n--) calls.push(["eth_getBlockByNumber", ["0x" + n.toString(16), false]]);
        const blocks = await rpcBatch(calls);
        if (seq !== routeSeq) return;
        document.getElementById("blocks-box").innerHTML = "<table id=\"latest-blocks\"><thead><tr><th>Block</th><th>Hash</th><th>Txs</th><th>Sealer</th><th>Time</th></tr></thead><tbody>" +
          blocks.filter(Boolean).map((b) => "<tr><td>" + blockLink(num(b.number)) + "</td><td class=\"short\">" + esc(short(b.hash)) + "</td><td>" + b.transactions.length +
            "</td><td>" + esc(nodeLabel(nodeByAddress(b.miner))) + "</td><td class=\"muted\">" + ago(num(b.timestamp)) + "</td></tr>").join("") + "</tbody></table>";
        setLive(true);
      } catch (e) {
        setLive(false);
        if (seq === routeSeq) document.getElementById("nodes-box").innerHTML = errorBox(e);
      }
    };
    await update();
    installRefresh(update);
  }

  // ---- block ---------------------------------------------------------
  async function renderBlock(id, seq) {
    const byHash = /^0x[0-9a-fA-F]{64}$/.test(id);
    const b = byHash ? await rpc("eth_getBlockByHash", [id, true]) : await rpc("eth_getBlockByNumber", ["0x" + BigInt(id).toString(16), true]);
    if (seq !== routeSeq) return;
    if (!b) { main.innerHTML = errorBox("Block " + id + " not found."); return; }
    const n = num(b.number);
    const sealer = nodeByAddress(b.miner);
    const signers = (b.signatures || []).map((s) => {
      const node = sealers[num(s.index)];
      return "<tr><td>" + num(s.index) + "</td><td>" + (node ? "<span class=\"short\" title=\"" + esc(node.nodeId) + "\">" + esc(short(node.nodeId, 10)) + "</span>" : "<span class=\"muted\">unknown</span>") +
        "</td><td>" + esc(node ? node.org || "" : "") + "</td><td class=\"short\">" + esc(short(s.signature, 12)) + "</td></tr>";
    }).join("");
    const txs = b.transactions.map((t, i) => "<tr><td>" + i + "</td><td>" + txLink(t.hash) + "</td><td>" + addrLink(t.from) + "</td><td>" + (t.to ? addrLink(t.to) : badge("create", "grey")) + "</td></tr>").join("");
    main.innerHTML = "<h1>Block #" + n + "</h1>" +
      "<div class=\"panel\">" + fields([
        ["Height", "<span>" + n + "</span> " + (n > 0 ? "<a href=\"#/block/" + (n - 1) + "\">&larr; prev</a> " : "") + "<a href=\"#/block/" + (n + 1) + "\">next &rarr;</a>", "number"],
        ["Hash", "<span class=\"mono\">" + esc(b.hash) + "</span>", "hash"],
        ["Parent hash", "<a class=\"mono\" href=\"#/block/" + esc(b.parentHash) + "\">" + esc(b.parentHash) + "</a>", "parentHash"],
        ["Time", fmtTime(num(b.timestamp)), "time"],
        ["Transactions", String(b.transactions.length), "txCount"],
        ["Sealer", addrLink(b.miner, true) + (sealer ? " <span class=\"muted\">" + esc(nodeLabel(sealer)) + "</span>" : ""), "sealer"],
        ["Gas used", big(b.gasUsed) + " / " + big(b.gasLimit), "gas"],
        ["State root", "<span class=\"mono\">" + esc(b.stateRoot) + "</span>", "stateRoot"],
        ["Transactions root", "<span class=\"mono\">" + esc(b.transactionsRoot) + "</span>", "txRoot"],
        ["Receipts root", "<span class=\"mono\">" + esc(b.receiptsRoot) + "</span>", "receiptRoot"],
      ]) + "</div>" +
      "<div class=\"panel\"><h2>Commit signers (" + (b.signatures || []).length + ")</h2>" +
      (signers ? "<table id=\"signers\"><thead><tr><th>Index</th><th>Sealer</th><th>Organisation</th><th>Signature</th></tr></thead><tbody>" + signers + "</tbody></table>" : "<p class=\"muted\">None (the genesis block has no commit certificate).</p>") + "</div>" +
      "<div class=\"panel\"><h2>Transactions</h2>" + (txs ? "<table><thead><tr><th>#</th><th>Hash</th><th>From</th><th>To</th></tr></thead><tbody>" + txs + "</tbody></table>" : "<p class=\"muted\">No transactions.</p>") + "</div>";
  }

  // ---- transaction ---------------------------------------------------
  function decodedHTML(d) {
    if (!d) return "";
    let h = "<div><b>" + esc(d.contract) + "." + esc(d.name || "?") + "</b> <span class=\"muted mono\">" + esc(d.signature || "") + "</span></div>";
    if (d.error) h += "<div class=\"muted\">" + esc(d.error) + "</div>";
    if (d.args && d.args.length) h += "<table class=\"args\">" + d.args.map((a) => "<tr><td>" + esc(a.name) + " <span class=\"muted\">" + esc(a.type) + "</span></td><td class=\"mono\">" + esc(a.value) + "</td></tr>").join("") + "</table>";
    return h;
  }

  async function renderTx(hash, seq) {
    const [tx, rc] = await rpcBatch([["eth_getTransactionByHash", [hash]], ["eth_getTransactionReceipt", [hash]]]);
    if (seq !== routeSeq) return;
    if (!tx) { main.innerHTML = errorBox("Transaction " + hash + " not found."); return; }
    let proof = null;
    if (rc) { try { proof = await rpc("bcos_getTransactionProof", [hash]); } catch (e) { proof = { error: e.message }; } }
    let dec = null;
    try { dec = await api("/api/decode", { to: tx.to, input: tx.input, logs: rc ? rc.logs : [] }); } catch (e) { dec = null; }
    if (seq !== routeSeq) return;
    const pending = !tx.blockNumber;
    let status;
    if (pending) status = badge("pending", "warn");
    else if (rc && rc.status === "0x1") status = badge("success", "ok");
    else status = badge("failed", "bad") + (rc && rc.errorMessage ? " <span class=\"muted\">" + esc(rc.errorMessage) + "</span>" : "");
    const toCell = tx.to ? addrLink(tx.to, true) : badge("contract creation", "grey") + (rc && rc.contractAddress ? " " + addrLink(rc.contractAddress, true) : "");
    const logs = rc ? rc.logs.map((l, i) => "<tr><td>" + i + "</td><td>" + addrLink(l.address) + "</td><td>" +
      (dec && dec.logs && dec.logs[i] ? decodedHTML(dec.logs[i]) : "<pre class=\"code\">topics:\n" + l.topics.map(esc).join("\n") + "\ndata: " + esc(l.data) + "</pre>") + "</td></tr>").join("") : "";
    let proofHTML = "<p class=\"muted\">A proof exists once the transaction is committed.</p>";
    if (proof && proof.error) proofHTML = errorBox(proof.error);
    else if (proof) proofHTML = fields([
      ["Transactions root", "<span class=\"mono\">" + esc(proof.root) + "</span>", "proofRoot"],
      ["Leaf", "<span class=\"mono\">" + esc(proof.leaf) + "</span>", "proofLeaf"],
      ["Path (" + proof.proof.length + " steps)", proof.proof.length ? "<pre class=\"code\">" + proof.proof.map((s) => (s.left ? "L " : "R ") + esc(s.hash)).join("\n") + "</pre>" : "<span class=\"muted\">the block's only transaction: the leaf is the root</span>", "proofPath"],
    ]);
    main.innerHTML = "<h1>Transaction <span class=\"mono\">" + esc(hash) + "</span></h1>" +
      "<div class=\"panel\">" + fields([
        ["Hash", "<span class=\"mono\">" + esc(tx.hash) + "</span>", "hash"],
        ["Status", status, "status"],
        ["Block", pending ? "<span class=\"muted\">pending</span>" : blockLink(num(tx.blockNumber)), "block"],
        ["Index", pending ? "—" : String(num(tx.transactionIndex)), "index"],
        ["Time", tx.blockTimestamp ? fmtTime(num(tx.blockTimestamp)) : "—", "time"],
        ["From", addrLink(tx.from, true), "from"],
        ["To", toCell, "to"],
        ["Value", big(tx.value) + " wei", "value"],
        ["Gas used", (rc ? big(rc.gasUsed) : "—") + " <span class=\"muted\">(limit " + (big(tx.gas) === "0" ? "the chain's per-tx limit" : big(tx.gas)) + ")</span>", "gas"],
        ["Type", tx.groupId !== undefined ? "native (group " + esc(tx.groupId) + ", block limit " + num(tx.blockLimit) + ")" : "Ethereum type " + num(tx.type), "type"],
        ["Input", (dec && dec.input ? decodedHTML(dec.input) : "") + "<pre class=\"code\">" + esc(tx.input) + "</pre>", "input"],
      ]) + "</div>" +
      "<div class=\"panel\"><h2>Logs (" + (rc ? rc.logs.length : 0) + ")</h2>" + (logs ? "<table><thead><tr><th>#</th><th>Address</th><th>Event</th></tr></thead><tbody>" + logs + "</tbody></table>" : "<p class=\"muted\">No logs.</p>") + "</div>" +
      "<div class=\"panel\"><h2>Merkle proof</h2>" + proofHTML + "</div>";
    if (pending) installRefresh(() => { if (seq === routeSeq) route(); });
  }

  // ---- address -------------------------------------------------------
  async function renderAddress(addr, seq) {
    const [bal, nonce, code] = await rpcBatch([["eth_getBalance", [addr, "latest"]], ["eth_getTransactionCount", [addr, "latest"]], ["eth_getCode", [addr, "latest"]]]);
    const abis = await api("/api/abi");
    if (seq !== routeSeq) return;
    const codeSize = (code.length - 2) / 2;
    const known = abis.find((a) => a.address.toLowerCase() === addr.toLowerCase());
    const node = nodeByAddress(addr);
    main.innerHTML = "<h1>Address <span class=\"mono\">" + esc(addr) + "</span></h1>" +
      "<div class=\"panel\">" + fields([
        ["Balance", big(bal) + " wei", "balance"],
        ["Nonce", String(num(nonce)), "nonce"],
        ["Code size", codeSize + " bytes" + (codeSize > 0 ? " " + badge("contract") : ""), "codeSize"],
        ["ABI", known ? esc(known.name) + (known.system ? " " + badge("system contract", "grey") : "") : "<span class=\"muted\">unknown</span>", "abi"],
        ["Node", node ? esc(nodeLabel(node)) + " " + badge(node.role, "grey") : "<span class=\"muted\">not a node's account</span>", "node"],
      ]) + "</div>" +
      ((known && known.system) || codeSize === 0 ? "" :
        "<div class=\"panel\"><h2>Contract ABI</h2><p class=\"muted\">Give the explorer this contract's ABI (JSON) to decode calls and events. It is kept in memory until the explorer restarts.</p>" +
        "<input class=\"text\" id=\"abi-name\" placeholder=\"Contract name\"><br><br><textarea id=\"abi-json\" rows=\"6\" placeholder='[{\"type\":\"function\",...}]'></textarea>" +
        "<button class=\"act\" id=\"abi-save\">Save ABI</button> <span id=\"abi-msg\" class=\"muted\"></span></div>");
    const save = document.getElementById("abi-save");
    if (save) save.addEventListener("click", async () => {
      const msg = document.getElementById("abi-msg");
      try {
        const parsed = JSON.parse(document.getElementById("abi-json").value);
        await api("/api/abi", { address: addr, name: document.getElementById("abi-name").value, abi: parsed });
        route();
      } catch (e) { msg.textContent = e.message; }
    });
  }

  // ---- pending -------------------------------------------------------
  async function renderPending(seq) {
    main.innerHTML = "<h1>Pending transactions</h1><div class=\"cards\"><div class=\"card\"><div class=\"label\">In the pool</div><div class=\"value\" id=\"pending-size\">—</div></div></div>" +
      "<div class=\"panel\"><h2>Waiting in the pool</h2><div id=\"pending-box\"><p class=\"muted\">Waiting for transactions&hellip;</p></div></div>";
    const update = async () => {
      const size = await rpc("bcos_getPendingTxSize");
      if (seq !== routeSeq) return;
      document.getElementById("pending-size").textContent = num(size);
      try {
        // The pool's own list (oldest first) where the node serves it.
        const pooled = await rpc("bcos_getPendingTransactions", [200]);
        for (const h of pooled || []) if (!pendingSeen.has(h)) pendingSeen.set(h, null);
      } catch (e) { /* an older node: rely on the filter below */ }
      try {
        if (pendingFilter === null) pendingFilter = await rpc("eth_newPendingTransactionFilter");
        const hashes = await rpc("eth_getFilterChanges", [pendingFilter]);
        for (const h of hashes || []) pendingSeen.set(h, null);
      } catch (e) { pendingFilter = null; }
      const hs = Array.from(pendingSeen.keys()).slice(-200);
      const txs = await rpcBatch(hs.map((h) => ["eth_getTransactionByHash", [h]]));
      if (seq !== routeSeq) return;
      const rows = [];
      txs.forEach((t, i) => {
        if (!t || t.blockNumber) { pendingSeen.delete(hs[i]); return; }
        rows.push("<tr><td>" + txLink(t.hash) + "</td><td>" + addrLink(t.from) + "</td><td>" + (t.to ? addrLink(t.to) : badge("create", "grey")) + "</td><td>" + big(t.gas) + "</td></tr>");
      });
      document.getElementById("pending-box").innerHTML = rows.length ? "<table><thead><tr><th>Hash</th><th>From</th><th>To</th><th>Gas</th></tr></thead><tbody>" + rows.join("") + "</tbody></table>" : "<p class=\"muted\">None waiting.</p>";
    };
    await update();
    installRefresh(update);
  }

  // ---- ABIs ----------------------------------------------------------
  async function renderABIs(seq) {
    const abis = await api("/api/abi");
    if (seq !== routeSeq) return;
    main.innerHTML = "<h1>Known contract ABIs</h1><div class=\"panel\"><table><thead><tr><th>Address</th><th>Contract</th><th></th></tr></thead><tbody>" +
      abis.map((a) => "<tr><td>" + addrLink(a.address, true) + "</td><td>" + esc(a.name) + "</td><td>" + (a.system ? badge("system contract", "grey") : "") + "</td></tr>").join("") +
      "</tbody></table><p class=\"muted\">Add an ABI from a contract's address page.</p></div>";
  }

  // ---- search and routing --------------------------------------------
  async function search(q) {
    q = q.trim();
    if (/^\d+$/.test(q)) { location.hash = "#/block/" + q; return; }
    if (/^0x[0-9a-fA-F]{40}$/.test(q)) { location.hash = "#/address/" + q; return; }
    if (/^0x[0-9a-fA-F]{64}$/.test(q)) {
      const tx = await rpc("eth_getTransactionByHash", [q]);
      location.hash = tx ? "#/tx/" + q : "#/block/" + q;
      return;
    }
    main.innerHTML = errorBox("“" + q + "” is not a block height, a 32-byte hash or a 20-byte address.");
  }

  async function route() {
    const seq = ++routeSeq;
    refresh = null;
    missedHead = false;
    const parts = (location.hash.replace(/^#\/?/, "") || "").split("/");
    try {
      if (groupNodes.length === 0) await loadGroup();
      switch (parts[0]) {
        case "": await renderOverview(seq); break;
        case "block": await renderBlock(decodeURIComponent(parts[1] || "0"), seq); break;
        case "tx": await renderTx(decodeURIComponent(parts[1] || ""), seq); break;
        case "address": await renderAddress(decodeURIComponent(parts[1] || ""), seq); break;
        case "pending": await renderPending(seq); break;
        case "abi": await renderABIs(seq); break;
        default:
          if (pages[parts[0]]) await pages[parts[0]](parts.slice(1).map(decodeURIComponent), seq);
          else main.innerHTML = errorBox("No such page.");
      }
    } catch (e) {
      if (seq === routeSeq) main.innerHTML = errorBox(e);
    }
  }

  // ---- live updates --------------------------------------------------
  let stream = null;        // the EventSource, null while none is open
  let streamOpen = false;
  let heads = 0;            // head events received (shown for tests as data-heads)
  let refreshing = false, again = false;
  let pollTimer = null;

  function setLive(ok) {
    live.classList.toggle("off", !ok);
    const mode = !ok ? "offline" : streamOpen ? "live" : "polling";
    live.dataset.mode = ok ? (streamOpen ? "stream" : "poll") : "offline";
    live.dataset.heads = String(heads);
    live.title = streamOpen ? "pages refresh when a block arrives" : "the live stream is down: pages refresh every " + FALLBACK_POLL_MS / 1000 + "s";
    live.innerHTML = "&#9679; " + mode;
  }

  // runRefresh re-renders the live parts of the page, one run at a time;
  // a block arriving during a run triggers one more.
  async function runRefresh() {
    if (!refresh) { missedHead = true; return; }
    if (refreshing) { again = true; return; }
    refreshing = true;
    try {
      do {
        again = false;
        const f = refresh;
        if (f) await f().catch(() => setLive(false));
      } while (again);
    } finally { refreshing = false; }
  }

  // installRefresh makes f the page's refresh once its first load is
  // done; a block that arrived during that load (which may have read the
  // node before it) refreshes the page at once instead of at the next block.
  function installRefresh(f) {
    refresh = f;
    if (missedHead) {
      missedHead = false;
      runRefresh();
    }
  }

  function startPolling() {
    if (pollTimer === null) pollTimer = setInterval(runRefresh, FALLBACK_POLL_MS);
  }
  function stopPolling() {
    if (pollTimer !== null) { clearInterval(pollTimer); pollTimer = null; }
  }

  function openStream() {
    if (typeof EventSource === "undefined") { startPolling(); return; }
    stream = new EventSource("/api/events");
    stream.addEventListener("open", () => { streamOpen = true; stopPolling(); setLive(true); });
    stream.addEventListener("head", (ev) => {
      try { lastHead = Math.max(lastHead, JSON.parse(ev.data).number); } catch (e) { /* a malformed event: refresh anyway */ }
      heads++;
      live.dataset.heads = String(heads);
      runRefresh();
    });
    stream.addEventListener("error", () => {
      // The browser reconnects by itself unless the stream was refused
      // (CLOSED); either way poll until it is back.
      streamOpen = false;
      startPolling();
      setLive(!live.classList.contains("off"));
      if (stream.readyState === EventSource.CLOSED) {
        stream = null;
        setTimeout(openStream, STREAM_RETRY_MS);
      }
    });
  }

  document.getElementById("search-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    search(document.getElementById("search").value).catch((e) => { main.innerHTML = errorBox(e); });
  });
  window.addEventListener("hashchange", route);
  document.addEventListener("DOMContentLoaded", () => {
    startPolling();
    openStream();
    route();
  });
})();
