// gobcos explorer: the governance pages (committee, proposals, system
// configuration, consensus nodes, roles, frozen accounts, CNS) and the
// audit trail of the system contracts' events. Everything shown is
// escaped: names, values and reasons come from the chain.
"use strict";

(function () {
  const ui = window.explorerUI;
  const { esc, num, short, blockLink, txLink, addrLink, badge, errorBox, fields, rpc, api } = ui;

  const SYSTEM = {
    "0x0000000000000000000000000000000000001001": "Committee",
    "0x0000000000000000000000000000000000001002": "SystemConfig",
    "0x0000000000000000000000000000000000001003": "ConsensusNodes",
    "0x0000000000000000000000000000000000001004": "Permission",
    "0x0000000000000000000000000000000000001005": "CNS",
  };
  const STATUS_KIND = { open: "", executed: "ok", rejected: "bad", failed: "bad", revoked: "grey", expired: "grey" };

  function statusBadge(s) { return badge(s, Object.prototype.hasOwnProperty.call(STATUS_KIND, s) ? STATUS_KIND[s] : "grey"); }
  function hex(n) { return "0x" + n.toString(16); }
  function nodeName(id) {
    const n = ui.groupNodes().find((g) => g.nodeId && g.nodeId.toLowerCase() === String(id).toLowerCase());
    return n ? ui.nodeLabel(n) : "";
  }
  function table(id, head, rows, empty) {
    if (!rows.length) return "<p class=\"muted\">" + esc(empty) + "</p>";
    return "<table" + (id ? " id=\"" + esc(id) + "\"" : "") + "><thead><tr>" + head.map((h) => "<th>" + esc(h) + "</th>").join("") +
      "</tr></thead><tbody>" + rows.join("") + "</tbody></table>";
  }
  function argsInline(d) {
    if (!d) return "<span class=\"muted\">unknown event</span>";
    let h = "<b>" + esc(d.name || "?") + "</b>";
    if (d.args && d.args.length) h += " <span class=\"mono\">" + d.args.map((a) => {
      // A proposal id links to the proposal's page.
      if (d.contract === "Committee" && a.name === "id" && /^\d+$/.test(a.value)) return "id=<a href=\"#/proposal/" + a.value + "\">" + a.value + "</a>";
      return esc(a.name) + "=" + esc(a.value.length > 70 ? short(a.value, 20) : a.value);
    }).join(", ") + "</span>";
    if (d.error) h += " <span class=\"muted\">" + esc(d.error) + "</span>";
    return h;
  }

  // ---- governance ----------------------------------------------------
  let proposalsFirst = null; // first id of the proposals page shown; null: the latest

  function proposalRows(ps) {
    return ps.map((p) => "<tr class=\"proposal-row\" data-id=\"" + esc(num(p.id)) + "\"><td><a href=\"#/proposal/" + esc(num(p.id)) + "\">#" + esc(num(p.id)) + "</a></td>" +
      "<td>" + badge(p.kind, "grey") + "</td><td class=\"summary\">" + esc(p.summary) + "</td><td>" + addrLink(p.proposer) + "</td>" +
      "<td>" + statusBadge(p.status) + (p.reason ? "<div class=\"muted\">" + esc(p.reason) + "</div>" : "") + "</td>" +
      "<td>" + num(p.forWeight) + " / " + num(p.againstWeight) + "</td><td>" + blockLink(num(p.createdBlock)) + "</td><td>" + esc(num(p.expiryBlock)) + "</td></tr>");
  }

  async function renderGovernance(args, seq) {
    const main = ui.main();
    main.innerHTML = "<h1>Governance</h1><div id=\"gov-box\"><p class=\"muted\">Reading the system contracts&hellip;</p></div>" +
      "<div class=\"panel\"><h2>Proposals</h2><div id=\"proposals-box\"></div></div><div id=\"gov-rest\"></div>" +
      "<div class=\"panel\"><h2>Resolve a contract name (CNS)</h2><form id=\"cns-form\" class=\"inline\"><input class=\"text\" id=\"cns-name\" placeholder=\"Name\" maxlength=\"256\">" +
      " <button class=\"act\" type=\"submit\">Resolve</button></form><div id=\"cns-result\"></div></div>";
    const update = async () => {
      let g, ps;
      try {
        [g, ps] = await Promise.all([api("/api/governance"), api("/api/governance/proposals?count=20" + (proposalsFirst ? "&first=" + proposalsFirst : ""))]);
      } catch (e) {
        if (ui.current(seq)) document.getElementById("gov-box").innerHTML = errorBox(e);
        return;
      }
      if (!ui.current(seq)) return;
      ui.setLive(true);
      document.getElementById("gov-box").innerHTML =
        "<div class=\"cards\">" +
        "<div class=\"card\"><div class=\"label\">Governors</div><div class=\"value\" id=\"gov-governors\">" + g.governors.length + "</div></div>" +
        "<div class=\"card\"><div class=\"label\">Total weight</div><div class=\"value\">" + g.totalWeight + "</div></div>" +
        "<div class=\"card\"><div class=\"label\">Thresholds</div><div class=\"value\" id=\"gov-thresholds\">" + g.participation + "% / " + g.approval + "%</div></div>" +
        "<div class=\"card\"><div class=\"label\">Proposals</div><div class=\"value\" id=\"gov-proposals\">" + g.proposalCount + "</div></div>" +
        "<div class=\"card\"><div class=\"label\">Deploy allow-list</div><div class=\"value\">" + (g.deployAllowList ? "on" : "off") + "</div></div>" +
        "</div><p class=\"muted\">The state after block " + blockLink(g.block) + ": the values in force for the next block. Thresholds: participation / approval.</p>" +
        "<div class=\"panel\"><h2>Committee</h2>" + table("governors", ["Governor", "Weight", "Share"], g.governors.map((m) =>
          "<tr><td>" + addrLink(m.address, true) + "</td><td>" + m.weight + "</td><td>" + (g.totalWeight ? (100 * m.weight / g.totalWeight).toFixed(1) + "%" : "—") + "</td></tr>"), "No committee: the configuration stays as the genesis set it.") + "</div>";
      // Proposals, newest first, paged by id.
      const pageFirst = ps.first, pageCount = ps.count;
      let nav = "";
      if (pageFirst > 1) nav += "<button class=\"act\" id=\"proposals-older\">Older</button> ";
      if (proposalsFirst !== null) nav += "<button class=\"act\" id=\"proposals-newest\">Newest</button>";
      document.getElementById("proposals-box").innerHTML = table("proposals", ["ID", "Kind", "Change", "Proposer", "Status", "For / against", "Created", "Expiry"],
        proposalRows(ps.proposals), "No proposals yet.") + (nav ? "<div>" + nav + "</div>" : "");
      const older = document.getElementById("proposals-older");
      if (older) older.addEventListener("click", () => { proposalsFirst = Math.max(1, pageFirst - pageCount); update(); });
      const newest = document.getElementById("proposals-newest");
      if (newest) newest.addEventListener("click", () => { proposalsFirst = null; update(); });

      const h = g.history;
      const scanned = h.complete ? "" : " <span class=\"muted\">(logs read up to block " + h.scannedTo + "; more on the next refresh)</span>";
      document.getElementById("gov-rest").innerHTML =
        "<div class=\"grid2\"><div class=\"panel\"><h2>System configuration</h2>" + table("sysconfig", ["Key", "Value", "Since block"], g.config.map((c) =>
          "<tr data-key=\"" + esc(c.key) + "\"><td class=\"mono\">" + esc(c.key) + "</td><td class=\"mono cfg-value\">" + esc(c.value) + "</td><td>" + blockLink(c.enableNumber) + "</td></tr>"), "No values.") + "</div>" +
        "<div class=\"panel\"><h2>Roles</h2>" + table("roles", ["Role", "Members"], g.roles.map((r) =>
          "<tr><td>" + esc(r.name) + "</td><td>" + (r.members.length ? r.members.map((a) => addrLink(a, true)).join("<br>") : "<span class=\"muted\">none</span>") + "</td></tr>"), "") + "</div></div>" +
        "<div class=\"panel\"><h2>Consensus nodes</h2>" + table("consensus-nodes", ["Node", "Type", "Weight", "Since block"], g.nodes.map((n) =>
          "<tr><td><span class=\"short\" title=\"" + esc(n.nodeId) + "\">" + esc(short(n.nodeId, 12)) + "</span>" + (nodeName(n.nodeId) ? "<div class=\"muted\">" + esc(nodeName(n.nodeId)) + "</div>" : "") + "</td>" +
          "<td>" + badge(n.type, n.type === "sealer" ? "" : "grey") + "</td><td>" + (n.type === "sealer" ? n.weight : "—") + "</td><td>" + blockLink(n.enableNumber) + "</td></tr>"), "No nodes.") +
        "<p class=\"muted\">At least " + g.minSealers + " sealer(s) must remain.</p></div>" +
        "<div class=\"grid2\"><div class=\"panel\"><h2>Frozen accounts and contracts</h2>" + table("frozen", ["Address", "Kind", "Status"],
          h.frozenAccounts.map((f) => "<tr><td>" + addrLink(f.address, true) + "</td><td>account</td><td>" + badge(f.status, "bad") + " <span class=\"muted\">from block " + esc(f.enableNumber) + "</span></td></tr>").concat(
            h.frozenContracts.map((f) => "<tr><td>" + addrLink(f.address, true) + "</td><td>contract</td><td>" + badge(f.status, "bad") + " <span class=\"muted\">from block " + esc(f.enableNumber) + "</span></td></tr>")), "None.") + scanned + "</div>" +
        "<div class=\"panel\"><h2>Contract names (CNS)</h2>" + table("cns-names", ["Name", "Version", "Contract", "Registered"], h.names.map((n) =>
          "<tr><td>" + esc(n.name) + "</td><td>" + esc(n.version) + "</td><td>" + addrLink(n.target) + "</td><td>" + blockLink(n.block) + "</td></tr>"), "No names registered.") + scanned +
        "</div></div>";
    };
    // The resolve box stays put while the rest refreshes.
    document.getElementById("cns-form").addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const out = document.getElementById("cns-result");
      const name = document.getElementById("cns-name").value;
      try {
        const r = await rpc("bcos_resolveName", [name]);
        out.innerHTML = fields([["Name", esc(name)], ["Address", addrLink(r.address, true)], ["Version", esc(r.version)]]);
      } catch (e) { out.innerHTML = errorBox(e); }
    });
    await update();
    ui.setRefresh(update);
  }

  // ---- one proposal --------------------------------------------------
  async function renderProposal(args, seq) {
    const id = args[0] || "";
    const main = ui.main();
    const update = async () => {
      const d = await api("/api/governance/proposals/" + encodeURIComponent(id));
      if (!ui.current(seq)) return;
      const p = d.proposal;
      const cast = d.votes.filter((v) => v.vote !== "none").reduce((s, v) => s + v.weight, 0);
      main.innerHTML = "<h1>Proposal #" + esc(num(p.id)) + "</h1>" +
        "<div class=\"panel\">" + fields([
          ["Kind", esc(p.kind), "kind"],
          ["Change", esc(p.summary), "summary"],
          ["Status", statusBadge(p.status) + (p.reason ? " <span class=\"muted\">" + esc(p.reason) + "</span>" : ""), "status"],
          ["Proposer", addrLink(p.proposer, true), "proposer"],
          ["Created in block", blockLink(num(p.createdBlock)), "created"],
          ["Votable until block", esc(num(p.expiryBlock)), "expiry"],
          ["Weight for / against", num(p.forWeight) + " / " + num(p.againstWeight) + " <span class=\"muted\">of " + d.totalWeight + "; needs " + d.participation + "% voting and " + d.approval + "% of the votes for</span>", "weights"],
          ["Payload", (p.args && p.args.length ? "<table class=\"args\">" + p.args.map((a) => "<tr><td>" + esc(a.name) + " <span class=\"muted\">" + esc(a.type) + "</span></td><td class=\"mono\">" + esc(a.value) + "</td></tr>").join("") + "</table>" : "") +
            "<pre class=\"code\">" + esc(p.payload) + "</pre>", "payload"],
        ]) + "</div>" +
        "<div class=\"panel\"><h2>Votes (" + cast + " of " + d.totalWeight + " weight cast)</h2>" + table("votes", ["Governor", "Weight", "Vote"], d.votes.map((v) =>
          "<tr data-governor=\"" + esc(v.governor) + "\"><td>" + addrLink(v.governor, true) + "</td><td>" + v.weight + "</td><td class=\"vote\">" +
          (v.vote === "none" ? "<span class=\"muted\">not voted</span>" : badge(v.vote, v.vote === "for" ? "ok" : "bad")) + "</td></tr>"), "No governors.") + "</div>" +
        "<div class=\"panel\"><h2>Events</h2>" + table("proposal-events", ["Block", "Transaction", "Event"], d.events.map((e) =>
          "<tr><td>" + blockLink(e.block) + "</td><td>" + txLink(e.tx) + "</td><td>" + argsInline(e.event) + "</td></tr>"), "No events found.") +
        "<p class=\"muted\">Blocks " + d.eventsFrom + " to " + d.eventsTo + " searched" + (d.eventsComplete ? "." : "; the proposal's later blocks were not.") + "</p></div>";
      ui.setLive(true);
    };
    await update();
    ui.setRefresh(update);
  }

  // ---- audit trail ---------------------------------------------------
  const AUDIT_PAGE = 25;       // events a page adds at least (unless the chain's start is reached)
  const AUDIT_CALLS = 12;      // eth_getLogs calls a page makes at most
  let audit = null;            // the trail being read: { contract, window, top, lowest, events }

  function auditFilter(from, to) {
    const addrs = audit.contract ? [audit.contract] : Object.keys(SYSTEM);
    return { fromBlock: hex(from), toBlock: hex(to), address: addrs };
  }

  // readLogs reads [from, to], halving the range while the node refuses it.
  async function readLogs(from, to) {
    const logs = await rpc("eth_getLogs", [auditFilter(from, to)]);
    if (!logs || logs.length === 0) return [];
    const dec = await api("/api/decode", { logs: logs.map((l) => ({ address: l.address, topics: l.topics, data: l.data })) });
    return logs.map((l, i) => ({ log: l, dec: dec.logs[i] }));
  }
  function order(a, b) {
    return num(b.log.blockNumber) - num(a.log.blockNumber) || num(b.log.logIndex) - num(a.log.logIndex);
  }

  // older reads blocks below the lowest read until a page of events is found.
  async function older() {
    let found = 0, calls = 0;
    while (audit.lowest > 0 && found < AUDIT_PAGE && calls < AUDIT_CALLS) {
      const to = audit.lowest - 1, from = Math.max(0, to - audit.window + 1);
      calls++;
      let got;
      try { got = await readLogs(from, to); } catch (e) {
        if (audit.window > 16) { audit.window = Math.floor(audit.window / 2); continue; }
        throw e;
      }
      got.sort(order);
      audit.events.push(...got);
      found += got.length;
      audit.lowest = from;
    }
  }
  // newer reads the blocks above the top read (new blocks).
  async function newer(head) {
    if (head <= audit.top) return;
    const got = [];
    for (let from = audit.top + 1; from <= head; from += audit.window) got.push(...await readLogs(from, Math.min(head, from + audit.window - 1)));
    got.sort(order);
    audit.events.unshift(...got);
    audit.top = head;
  }

  function auditHTML() {
    const rows = audit.events.map((e) => {
      const l = e.log;
      const a = String(l.address).toLowerCase();
      const c = Object.prototype.hasOwnProperty.call(SYSTEM, a) ? SYSTEM[a] : a;
      return "<tr class=\"audit-row\"><td class=\"nowrap\">" + blockLink(num(l.blockNumber)) + (l.blockTimestamp ? "<div class=\"muted\">" + ui.ago(num(l.blockTimestamp)) + "</div>" : "") + "</td>" +
        "<td>" + txLink(l.transactionHash) + "</td><td>" + esc(c) + "</td><td>" + argsInline(e.dec) + "</td></tr>";
    });
    return "<p class=\"muted\" id=\"audit-range\">" + audit.events.length + " event(s) in blocks " + audit.lowest + " to " + audit.top + ", newest first.</p>" +
      table("audit", ["Block", "Transaction", "Contract", "Event"], rows, "No governance events in these blocks.") +
      (audit.lowest > 0 ? "<button class=\"act\" id=\"audit-older\">Older events</button>" : "<p class=\"muted\">The start of the chain is reached.</p>");
  }

  async function renderAudit(args, seq) {
    const main = ui.main();
    const contract = args[0] && /^0x[0-9a-fA-F]{40}$/.test(args[0]) ? args[0].toLowerCase() : "";
    const head = num(await rpc("eth_blockNumber"));
    if (!ui.current(seq)) return;
    audit = { contract: contract, window: 2000, top: head, lowest: head + 1, events: [] };
    const mine = audit;
    main.innerHTML = "<h1>Audit trail</h1><div class=\"panel\"><p class=\"muted\">The events of the governance system contracts, read with eth_getLogs block range by block range and decoded by their ABIs.</p>" +
      "<label>Contract <select id=\"audit-contract\"><option value=\"\">all</option>" +
      Object.keys(SYSTEM).map((a) => "<option value=\"" + esc(a) + "\"" + (a === contract ? " selected" : "") + ">" + esc(SYSTEM[a]) + "</option>").join("") +
      "</select></label><div id=\"audit-box\"><p class=\"muted\">Reading logs&hellip;</p></div></div>";
    document.getElementById("audit-contract").addEventListener("change", (ev) => { location.hash = "#/audit" + (ev.target.value ? "/" + ev.target.value : ""); });
    const show = () => {
      if (!ui.current(seq) || audit !== mine) return;
      const box = document.getElementById("audit-box");
      box.innerHTML = auditHTML();
      const btn = document.getElementById("audit-older");
      if (btn) btn.addEventListener("click", async () => {
        btn.disabled = true;
        try { await older(); show(); } catch (e) { box.insertAdjacentHTML("beforeend", errorBox(e)); }
      });
    };
    await older();
    show();
    ui.setRefresh(async () => {
      const h = num(await rpc("eth_blockNumber"));
      if (audit !== mine) return;
      await newer(h);
      show();
      ui.setLive(true);
    });
  }

  ui.addPage("governance", renderGovernance);
  ui.addPage("proposal", renderProposal);
  ui.addPage("audit", renderAudit);
})();
