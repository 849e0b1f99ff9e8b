// fedplan workbench page. Talks only to this server's /api/; every name from the data is set as
// text (textContent), never as markup, so a practice called "<script>" stays a name.
"use strict";
(function () {
  const SVG = "http://www.w3.org/2000/svg";
  const $ = (id) => document.getElementById(id);
  const S = { plans: [], id: null, geo: null, plan: null, selected: null, job: null, view: null, home: null };
  const gbp = (x) => x === null || x === undefined ? "—" : "£" + Math.round(x).toLocaleString("en-GB");
  const pct = (x) => x === null || x === undefined ? "—" : (100 * x).toFixed(2) + "%";

  function say(text, isError) {
    const m = $("message");
    m.textContent = text;
    m.className = isError ? "error" : "";
  }

  async function api(method, path, body) {
    const opts = { method, headers: {}, credentials: "same-origin" };
    if (body !== undefined) {
      opts.headers["content-type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    const r = await fetch(path, opts);
    let data = null;
    try { data = await r.json(); } catch (e) { data = { error: "the server sent no JSON (" + r.status + ")" }; }
    if (!r.ok) throw new Error(data && data.error ? data.error : "request failed (" + r.status + ")");
    return data;
  }

  function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }

  function svg(tag, attrs) {
    const e = document.createElementNS(SVG, tag);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    return e;
  }

  // ------------------------------------------------------------------ map

  function setView(v) {
    S.view = v;
    $("map").setAttribute("viewBox", v.map((x) => x.toFixed(3)).join(" "));
  }

  function drawMap() {
    const g = S.geo, map = $("map");
    while (map.firstChild) map.removeChild(map.firstChild);
    const cells = svg("g", { id: "cells" });
    g.sites.forEach((s, k) => {
      if (!s.path) return;
      const p = svg("path", { d: s.path, class: "cell", "data-site": k });
      cells.appendChild(p);
    });
    map.appendChild(cells);
    if (g.outline) map.appendChild(svg("path", { d: g.outline, class: "outline" }));
    const dots = svg("g", { id: "practices" });
    const biggest = Math.max(...g.practices.map((p) => p.list_size), 1);
    const scale = Math.max(g.viewbox[2], g.viewbox[3]) / 90;
    g.practices.forEach((p) => {
      const c = svg("circle", { cx: p.x, cy: p.y, r: (scale * Math.sqrt(p.list_size / biggest) + scale * 0.25).toFixed(3),
                                class: "practice", "data-code": p.code });
      dots.appendChild(c);
    });
    map.appendChild(dots);
    S.home = g.viewbox.slice();
    setView(S.home.slice());
  }

  function paintMap() {
    const plan = S.plan, g = S.geo;
    if (!plan || !g) return;
    const fedOf = {}, colourOf = {}, hubs = new Set();
    plan.federations.forEach((f) => { colourOf[f.id] = f.colour; hubs.add(f.hub); });
    plan.practices.forEach((p) => { fedOf[p.code] = p.federation; });
    const pinned = new Set(plan.pins);
    document.querySelectorAll("#cells path").forEach((cell) => {
      const site = g.sites[+cell.getAttribute("data-site")];
      const fed = site.practices.map((i) => fedOf[g.practices[i].code]).find((f) => f !== undefined);
      cell.setAttribute("class", "cell " + (fed === undefined ? "" : "c" + colourOf[fed]));
    });
    document.querySelectorAll("#practices circle").forEach((c) => {
      const code = c.getAttribute("data-code"), fed = fedOf[code];
      let cls = "practice " + (fed === undefined ? "" : "c" + colourOf[fed]);
      if (hubs.has(code)) cls += " hub";
      if (pinned.has(code)) cls += " pinned";
      if (S.selected === code) cls += " selected";
      c.setAttribute("class", cls);
      c.setAttribute("visibility", fed === undefined ? "hidden" : "visible");
    });
  }

  function practiceFacts(code) {
    const g = S.geo, plan = S.plan;
    const p = g.practices.find((q) => q.code === code);
    const row = plan.practices.find((q) => q.code === code);
    const facts = [["Practice", p.code + " " + p.name], ["List size", p.list_size.toLocaleString("en-GB")],
                   ["Current PCN", (p.pcn_name || "none") + (p.pcn ? " (" + p.pcn + ")" : "")]];
    if (row) {
      const fed = plan.federations.find((f) => f.id === row.federation);
      facts.push(["Federation", fed.id + " (hub " + fed.hub + ", " + fed.population.toLocaleString("en-GB") + " patients)"]);
      facts.push(["To its hub", row.to_hub === null ? "no route" : row.to_hub + " " + plan.to_hub_unit]);
      facts.push(["Pinned", row.pinned ? "yes" : "no"]);
    } else {
      facts.push(["Federation", "left out"]);
    }
    return facts;
  }

  function tooltip(evt, code) {
    const t = $("tooltip");
    while (t.firstChild) t.removeChild(t.firstChild);
    practiceFacts(code).forEach(([k, v]) => t.appendChild(el("div", k + ": " + v)));
    const box = $("map-panel").getBoundingClientRect();
    t.style.left = (evt.clientX - box.left + 12) + "px";
    t.style.top = (evt.clientY - box.top + 12) + "px";
    t.hidden = false;
  }

  function wireMap() {
    const map = $("map");
    let drag = null;
    map.addEventListener("mousemove", (e) => {
      if (drag) {
        const k = S.view[2] / map.clientWidth;
        setView([drag.v[0] - (e.clientX - drag.x) * k, drag.v[1] - (e.clientY - drag.y) * k, S.view[2], S.view[3]]);
        drag.moved = true;
        return;
      }
      const code = e.target.getAttribute && e.target.getAttribute("data-code");
      if (code) tooltip(e, code); else $("tooltip").hidden = true;
    });
    map.addEventListener("mousedown", (e) => { drag = { x: e.clientX, y: e.clientY, v: S.view.slice(), moved: false }; });
    window.addEventListener("mouseup", () => { setTimeout(() => { drag = null; }, 0); });
    map.addEventListener("mouseleave", () => { $("tooltip").hidden = true; });
    map.addEventListener("click", (e) => {
      if (drag && drag.moved) return;
      const code = e.target.getAttribute && e.target.getAttribute("data-code");
      if (code) select(code);
    });
    map.addEventListener("wheel", (e) => {
      e.preventDefault();
      const r = map.getBoundingClientRect();
      zoom(e.deltaY < 0 ? 0.8 : 1.25, (e.clientX - r.left) / r.width, (e.clientY - r.top) / r.height);
    }, { passive: false });
    $("zoom-in").addEventListener("click", () => zoom(0.7, 0.5, 0.5));
    $("zoom-out").addEventListener("click", () => zoom(1.4, 0.5, 0.5));
    $("zoom-reset").addEventListener("click", () => setView(S.home.slice()));
  }

  function zoom(f, fx, fy) {
    const v = S.view, w = v[2] * f, h = v[3] * f;
    setView([v[0] + (v[2] - w) * fx, v[1] + (v[3] - h) * fy, w, h]);
  }

  // ------------------------------------------------------------------ panels

  function select(code) {
    S.selected = code;
    const row = S.plan.practices.find((q) => q.code === code);
    $("practice-empty").hidden = true;
    $("practice-details").hidden = false;
    const dl = $("practice-facts");
    while (dl.firstChild) dl.removeChild(dl.firstChild);
    practiceFacts(code).forEach(([k, v]) => { dl.appendChild(el("dt", k)); dl.appendChild(el("dd", v)); });
    const sel = $("move-target");
    while (sel.firstChild) sel.removeChild(sel.firstChild);
    S.plan.federations.forEach((f) => {
      if (row && f.id === row.federation) return;
      const o = el("option", "Federation " + f.id + " (hub " + f.hub + ")");
      o.value = f.id;
      sel.appendChild(o);
    });
    const fresh = el("option", "a new federation");
    fresh.value = Math.max(...S.plan.federations.map((f) => f.id)) + 1;
    sel.appendChild(fresh);
    const isIn = Boolean(row);
    $("move-btn").textContent = isIn ? "Move" : "Bring back";
    $("hub-btn").disabled = !isIn;
    $("exclude-btn").disabled = !isIn;
    $("pin-btn").disabled = !isIn;
    $("pin-btn").textContent = row && row.pinned ? "Unpin" : "Pin";
    paintMap();
  }

  function cell(tr, text, cls) { const td = el("td", text, cls); tr.appendChild(td); return td; }

  function render() {
    const p = S.plan;
    $("status").textContent = p.status.replace("_", " ");
    $("status").className = p.status === "breaks_rules" ? "bad" : "";
    $("cost").textContent = gbp(p.objective_gbp);
    $("cost").setAttribute("data-gbp", p.objective_gbp);
    $("bound").textContent = gbp(p.bound_gbp);
    $("gap").textContent = pct(p.gap);
    const o = p.compare.optimum, c = p.compare.pcns;
    $("vs-optimum").textContent = o ? (o.gbp >= 0 ? "+" : "") + gbp(o.gbp) + " (" + pct(o.share) + ")" : "—";
    $("vs-pcns").textContent = c ? (c.gbp >= 0 ? "+" : "") + gbp(c.gbp) + " (" + pct(c.share) + ")" : "—";
    $("verify").textContent = (p.verify.agrees ? "cost agrees " : "COST DIFFERS ") + gbp(p.verify.cost_gbp)
      + (p.verify.ok ? ", every rule met" : ", " + p.verify.problems.length + " problem(s)");
    $("verify").setAttribute("data-gbp", p.verify.cost_gbp);
    $("verify").className = p.verify.agrees ? "" : "bad";
    $("undo-btn").disabled = !p.can.undo;
    $("redo-btn").disabled = !p.can.redo;
    const ul = $("breaches");
    while (ul.firstChild) ul.removeChild(ul.firstChild);
    if (!p.breaches.length) ul.appendChild(el("li", "none"));
    p.breaches.forEach((b) => ul.appendChild(el("li", b.rule + ": " + b.message + (b.practices.length ? " [" + b.practices.join(", ") + "]" : ""))));
    const tb = $("terms").tBodies[0];
    while (tb.firstChild) tb.removeChild(tb.firstChild);
    Object.keys(p.cost_breakdown).forEach((k) => {
      const tr = el("tr");
      cell(tr, k); cell(tr, gbp(p.cost_breakdown[k])); cell(tr, gbp(p.verify.cost_breakdown[k]));
      tb.appendChild(tr);
    });
    const fb = $("federations").tBodies[0];
    while (fb.firstChild) fb.removeChild(fb.firstChild);
    p.federations.forEach((f) => {
      const tr = el("tr");
      tr.setAttribute("data-federation", f.id);
      const sw = el("td"); sw.appendChild(el("span", "", "swatch c" + f.colour)); tr.appendChild(sw);
      cell(tr, f.id); cell(tr, f.population.toLocaleString("en-GB"));
      cell(tr, f.deviation === 0 ? "within" : (f.deviation > 0 ? "+" : "") + f.deviation.toLocaleString("en-GB"), f.deviation ? "bad" : "");
      cell(tr, f.hub + " " + f.hub_name); cell(tr, f.n_practices); cell(tr, gbp(f.cost_gbp));
      ["services", "risk", "engagement", "access", "federation_fixed"].forEach((k) => cell(tr, gbp(f.terms[k])));
      cell(tr, f.inhouse.length + " of " + f.n_services).title = f.inhouse.join(", ");
      cell(tr, f.to_hub_max === null ? "—" : f.to_hub_max.toFixed(1) + " " + p.to_hub_unit);
      const act = el("td");
      const pin = el("button", f.pinned ? "Unpin all" : "Pin all"); pin.type = "button";
      pin.addEventListener("click", () => edit(f.pinned ? "unpin" : "pin", { federation: f.id }));
      const split = el("button", "Split"); split.type = "button";
      split.addEventListener("click", () => edit("split", { federation: f.id }));
      const with_ = el("select");
      p.federations.forEach((g) => { if (g.id !== f.id) { const o = el("option", "with " + g.id); o.value = g.id; with_.appendChild(o); } });
      const merge = el("button", "Merge"); merge.type = "button";
      merge.addEventListener("click", () => edit("merge", { federations: [f.id, +with_.value] }));
      [pin, split, with_, merge].forEach((x) => act.appendChild(x));
      tr.appendChild(act);
      fb.appendChild(tr);
    });
    paintMap();
    if (S.selected) select(S.selected);
  }

  // ------------------------------------------------------------------ actions

  async function edit(op, body) {
    try {
      S.plan = await api("POST", "/api/plans/" + encodeURIComponent(S.id) + "/" + op, body || {});
      render();
      say(op + ": re-scored in " + S.plan.latency_ms + " ms" + (S.plan.verify.agrees ? "; the independent check agrees." : "; THE INDEPENDENT CHECK DIFFERS."));
    } catch (e) { say(e.message, true); }
  }

  async function startJob(op) {
    try {
      const limit = +$("time-limit").value;
      const j = await api("POST", "/api/plans/" + encodeURIComponent(S.id) + "/" + op, { time_limit_s: limit });
      S.job = j.job;
      $("cancel-btn").disabled = false;
      $("progress").hidden = false;
      $("job-state").textContent = op + ": running";
      poll();
    } catch (e) { say(e.message, true); }
  }

  async function poll() {
    if (!S.job) return;
    try {
      const j = await api("GET", "/api/jobs/" + S.job);
      $("progress").value = j.progress;
      if (j.state === "running") { setTimeout(poll, 700); return; }
      S.job = null;
      $("cancel-btn").disabled = true;
      $("progress").hidden = true;
      $("job-state").textContent = j.kind + ": " + j.state;
      if (j.state === "done" && j.plan) {
        S.plan = j.plan;
        render();
        let text = j.kind + " done: " + j.plan.status + ", cost " + gbp(j.plan.objective_gbp) + ", bound " + gbp(j.plan.bound_gbp) + ", gap " + pct(j.plan.gap) + ".";
        if (j.price_of_edits) text += " Price of the edits: " + gbp(j.price_of_edits.gbp) + " a year against the unpinned optimum.";
        if (j.practices_moved !== undefined) text += " Practices moved from their PCN: " + j.practices_moved + ".";
        say(text);
      } else {
        say(j.kind + " " + j.state + ": " + j.message, j.state === "failed" && !j.cancelled);
      }
    } catch (e) { say(e.message, true); S.job = null; }
  }

  function wireButtons() {
    $("undo-btn").addEventListener("click", () => edit("undo"));
    $("redo-btn").addEventListener("click", () => edit("redo"));
    $("reset-run-btn").addEventListener("click", () => edit("reset", { to: "run" }));
    $("pcns-btn").addEventListener("click", () => edit("reset", { to: "pcns" }));
    $("optimise-btn").addEventListener("click", () => startJob("optimise"));
    $("repair-btn").addEventListener("click", () => startJob("repair"));
    $("cancel-btn").addEventListener("click", async () => {
      if (!S.job) return;
      try { await api("POST", "/api/jobs/" + S.job + "/cancel"); } catch (e) { say(e.message, true); }
    });
    $("move-btn").addEventListener("click", () => {
      const fed = +$("move-target").value;
      const inPlan = S.plan.practices.some((q) => q.code === S.selected);
      edit(inPlan ? "move" : "include", { practice: S.selected, federation: fed });
    });
    $("hub-btn").addEventListener("click", () => {
      const row = S.plan.practices.find((q) => q.code === S.selected);
      edit("hub", { federation: row.federation, practice: S.selected });
    });
    $("pin-btn").addEventListener("click", () => {
      const row = S.plan.practices.find((q) => q.code === S.selected);
      edit(row.pinned ? "unpin" : "pin", { practices: [S.selected] });
    });
    $("exclude-btn").addEventListener("click", () => edit("exclude", { practice: S.selected }));
    $("save-btn").addEventListener("click", async () => {
      const name = $("save-name").value.trim();
      say("saving " + name + " ...");
      try {
        const r = await api("POST", "/api/plans/" + encodeURIComponent(S.id) + "/save", { name });
        say("Saved to " + r.run_dir);
        $("message").setAttribute("data-run-dir", r.run_dir);
      } catch (e) { say(e.message, true); }
    });
    $("plan-select").addEventListener("change", () => load($("plan-select").value));
  }

  async function load(id) {
    S.id = id;
    S.selected = null;
    say("loading " + id + " ...");
    S.geo = await api("GET", "/api/plans/" + encodeURIComponent(id) + "/map");
    drawMap();
    S.plan = await api("GET", "/api/plans/" + encodeURIComponent(id));
    render();
    say("");
    document.body.setAttribute("data-ready", "1");
  }

  async function start() {
    wireMap();
    wireButtons();
    try {
      S.plans = await api("GET", "/api/plans");
      const sel = $("plan-select");
      S.plans.forEach((p) => { const o = el("option", p.name); o.value = p.id; sel.appendChild(o); });
      if (S.plans.length) await load(S.plans[0].id);
    } catch (e) { say(e.message, true); }
  }

  document.addEventListener("DOMContentLoaded", start);
})();
