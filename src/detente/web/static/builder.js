// Détente's phased-deal builder. The form edits the scenario document; the server (POST
// /api/scenarios/draft) turns it into YAML and finds every problem. Edits to the YAML come back as
// a document and the form follows. The form never writes over YAML it could not read: while the
// YAML does not parse, the form is locked; when the form's rewrite drops YAML comments, an undo is offered.
(() => {
  "use strict";
  const V = JSON.parse(document.getElementById("vocabulary").textContent);
  const yamlBox = document.getElementById("yaml");
  const yamlForm = yamlBox.form;
  const root = document.getElementById("builder");
  const status = document.getElementById("builder-status");
  const summary = document.getElementById("builder-problems");
  const CHANCE = "chance", MONTHS = "months", PER_YEAR = "per year";
  let doc = null;        // the scenario document the form shows
  let seq = 0;           // number of the latest request; older answers are ignored
  let timer = null;      // debounce of form and YAML edits
  let queued = null;     // the edit waiting for it: {make: () => body, from: "form" | "yaml"}
  let pending = null;    // the request in flight (a promise), for submit to wait on
  let percent = true;    // chances shown as percentages (else fractions)
  let beforeRewrite = null;  // YAML with comments the form's last rewrite replaced (for undo)
  let notice = null;     // what a change did beyond what was clicked, said once with the next answer

  // -- DOM ------------------------------------------------------------------------------------
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "on") for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn);
      else if (k === "class") el.className = v;
      else if (k === "value") el.value = v;
      else if (k === "checked" || k === "selected") el[k] = true;
      else el.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children.flat()) {
      if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
    }
    return el;
  }
  const label = (text, control, unit) => h("label", {}, text, " ", control, unit ? h("span", {class: "unit"}, unit) : null);
  function select(options, value, onChange, attrs) {
    return h("select", {...attrs, on: {change: (e) => onChange(e.target.value)}},
      options.map(([v, text]) => h("option", {value: v, selected: v === value}, text)));
  }
  function text(value, onInput, attrs) {
    return h("input", {type: "text", value: value ?? "", ...attrs, on: {input: (e) => onInput(e.target.value)}});
  }
  function checks(options, chosen, onChange, field, legend) {
    const picked = new Set(chosen || []);
    return h("fieldset", {class: "checks", "data-field": field}, h("legend", {}, legend),
      options.map(([v, text, more]) => h("label", {title: more}, h("input", {type: "checkbox", value: v, checked: picked.has(v),
        on: {change: (e) => {
          if (e.target.checked) picked.add(v); else picked.delete(v);
          onChange(options.map(([o]) => o).filter((o) => picked.has(o)).concat([...picked].filter(
            (o) => !options.some(([x]) => x === o))));
        }}}), " ", text)));
  }
  const isMap = (x) => x !== null && typeof x === "object" && !Array.isArray(x);
  const unreadable = (field) => h("p", {class: "note", "data-field": field}, `${field} is not a mapping of fields: edit it in the YAML.`);
  const phases = () => (Array.isArray(doc.phases) ? doc.phases : []);
  const key = (item, i) => (item && typeof item === "object" && item.id !== undefined && item.id !== null ? item.id : i);
  const set = (obj, k, v) => { if (v === "" || v === null || v === undefined || (Array.isArray(v) && !v.length)) delete obj[k]; else obj[k] = v; };

  // -- numbers --------------------------------------------------------------------------------
  function parse(raw, unit) {
    const t = String(raw).trim().replace(/\s*%$/, "");
    if (t === "") return "";
    const x = Number(t);  // "0,5" stays as typed: the check says it is not a number
    if (!Number.isFinite(x)) return String(raw).trim();  // left as typed: the check names the field
    return unit === CHANCE && percent ? Number((x / 100).toPrecision(12)) : x;
  }
  function shown(x, unit) {
    if (typeof x !== "number") return x ?? "";
    return unit === CHANCE && percent ? Number((x * 100).toPrecision(12)) : x;
  }
  const unitText = (unit) => (unit === CHANCE ? (percent ? "%" : "(fraction 0–1)") : unit);

  // -- distributions: a small preview and its 90 % range ------------------------------------
  function density(spec) {
    const lo = spec.low, hi = spec.high, m = spec.mode;
    if (spec.dist === "uniform") return (x) => 1;
    if (spec.dist === "triangular") return (x) => (x <= m ? (m > lo ? (x - lo) / (m - lo) : 1) : (hi > m ? (hi - x) / (hi - m) : 1));
    const a = 1 + 4 * (m - lo) / (hi - lo), b = 1 + 4 * (hi - m) / (hi - lo);
    return (x) => Math.pow((x - lo) / (hi - lo), a - 1) * Math.pow((hi - x) / (hi - lo), b - 1);
  }
  function preview(spec, unit) {
    const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    svg.setAttribute("viewBox", "0 0 160 36");
    svg.setAttribute("class", "preview");
    svg.setAttribute("role", "img");
    const say = (words) => { svg.setAttribute("aria-label", words); return [svg, h("span", {class: "range-text"}, words)]; };
    const fmt = (x) => `${Number(shown(x, unit).toPrecision(3))}${unit === CHANCE && percent ? " %" : ""}`;
    const u = unit === CHANCE ? "" : ` ${unit}`;
    const path = document.createElementNS("http://www.w3.org/2000/svg", "path");
    svg.append(path);
    if (spec.dist === "fixed" && typeof spec.value === "number") {
      path.setAttribute("d", "M80 34 V2");
      return say(`always ${fmt(spec.value)}${u}`);
    }
    if (spec.dist === "lognormal") {
      if (!(spec.p5 > 0 && spec.p95 > spec.p5)) return say("");
      const mu = (Math.log(spec.p5) + Math.log(spec.p95)) / 2, sigma = (Math.log(spec.p95) - Math.log(spec.p5)) / (2 * 1.6448536);
      const lo = Math.exp(mu - 3 * sigma), hi = Math.exp(mu + 3 * sigma), n = 120, pts = [];
      const f = (x) => Math.exp(-((Math.log(x) - mu) ** 2) / (2 * sigma * sigma)) / x;
      const top = f(Math.exp(mu - sigma * sigma));
      for (let i = 0; i <= n; i++) pts.push(`${(4 + 152 * i / n).toFixed(1)} ${(34 - 30 * f(lo + (hi - lo) * i / n) / top).toFixed(1)}`);
      path.setAttribute("d", `M4 34 L${pts.join(" L")} L156 34 Z`);
      return say(`90 % between ${fmt(spec.p5)} and ${fmt(spec.p95)}${u} (median ${fmt(Math.exp(mu))})`);
    }
    const nums = ["low", "high"].concat(spec.dist === "uniform" ? [] : ["mode"]).every((k) => typeof spec[k] === "number");
    if (!["uniform", "pert", "triangular"].includes(spec.dist) || !nums || !(spec.high > spec.low)) return say("");
    const f = density(spec), n = 120, xs = [], ys = [];
    for (let i = 0; i <= n; i++) { const x = spec.low + (spec.high - spec.low) * i / n; xs.push(x); ys.push(f(x)); }
    const top = Math.max(...ys.filter(Number.isFinite)) || 1;
    const pts = ys.map((y, i) => `${(4 + 152 * i / n).toFixed(1)} ${(34 - 30 * Math.min(y / top, 1)).toFixed(1)}`);
    path.setAttribute("d", `M4 34 L${pts.join(" L")} L156 34 Z`);
    const cum = [0];
    for (let i = 1; i <= n; i++) cum.push(cum[i - 1] + (Math.min(ys[i - 1], top) + Math.min(ys[i], top)) / 2);
    const q = (p) => { const t = p * cum[n]; const i = cum.findIndex((c) => c >= t); return i <= 0 ? xs[0] : xs[i - 1] + (xs[i] - xs[i - 1]) * (t - cum[i - 1]) / (cum[i] - cum[i - 1] || 1); };
    return say(`90 % between ${fmt(q(0.05))} and ${fmt(q(0.95))}${u} (median ${fmt(q(0.5))})`);
  }

  const SHAPES = ["fixed", "uniform", "pert", "triangular", "lognormal"];
  // An uncertain value: "from L to H", its shape, the basis of the judgement, and the preview.
  function spec(owner, k, field, unit, opts = {}) {
    const box = h("div", {class: "spec", "data-field": field});
    const draw = () => {
      box.replaceChildren();
      const s = owner[k];
      if (s === undefined) {
        if (opts.optional) box.append(h("button", {type: "button", class: "small", on: {click: () => {
          owner[k] = {dist: "fixed", value: 0, judgement: true, basis: V.basis}; draw(); changed();
        }}}, `Add ${opts.optional}`));
        return;
      }
      if (!s || typeof s !== "object" || !SHAPES.includes(s.dist)) {
        box.append(h("span", {}, `${opts.title}: ${s && s.dist ? s.dist : "?"} (edit it in the YAML), `),
          h("button", {type: "button", class: "small", on: {click: () => {
            owner[k] = {dist: "uniform", low: 0, high: 1, judgement: true, basis: V.basis}; draw(); changed();
          }}}, "replace it with a range"));
        return;
      }
      const fixed = s.dist === "fixed";
      const skewed = s.dist === "lognormal";
      const low = fixed ? s.value : skewed ? s.p5 : s.low, high = fixed ? s.value : skewed ? s.p95 : s.high;
      let shape = fixed ? "uniform" : s.dist;
      const out = h("span", {class: "preview-box"});
      const inputs = {};
      const rebuild = () => {
        const lo = parse(inputs.low.value, unit), hi = parse(inputs.high.value, unit);
        const prov = {};
        for (const p of ["judgement", "basis", "source", "unit", "note"]) if (owner[k][p] !== undefined) prov[p] = owner[k][p];
        if (!prov.source && !prov.judgement) Object.assign(prov, {judgement: true, basis: V.basis});
        let next;
        if (shape === "uniform" && lo === hi) next = {dist: "fixed", value: lo};
        else if (shape === "uniform") next = {dist: "uniform", low: lo, high: hi};
        else if (shape === "lognormal") next = {dist: "lognormal", p5: lo, p95: hi};
        else {
          let mode = parse(inputs.mode.value, unit);
          if (mode === "" && typeof lo === "number" && typeof hi === "number") mode = (lo + hi) / 2;
          next = {dist: shape, low: lo, mode, high: hi};
        }
        owner[k] = {...next, ...prov};
        out.replaceChildren(...preview(owner[k], unit));
        modeLabel.hidden = !["pert", "triangular"].includes(shape);
        changed();
      };
      inputs.low = h("input", {type: "text", inputmode: "decimal", size: 5, value: shown(low, unit), "data-field": `${field}.${fixed ? "value" : "low"}`,
        "aria-label": `${opts.title}: lowest (${unitText(unit)})`, on: {input: rebuild}});
      inputs.high = h("input", {type: "text", inputmode: "decimal", size: 5, value: shown(high, unit), "data-field": `${field}.high`,
        "aria-label": `${opts.title}: highest (${unitText(unit)})`, on: {input: rebuild}});
      inputs.mode = h("input", {type: "text", inputmode: "decimal", size: 5, value: s.mode === undefined ? "" : shown(s.mode, unit), "data-field": `${field}.mode`,
        "aria-label": `${opts.title}: most likely (${unitText(unit)})`, on: {input: rebuild}});
      const modeLabel = h("label", {class: "inline", hidden: !["pert", "triangular"].includes(shape)}, "most likely ", inputs.mode);
      const shapeSel = select([["uniform", "any value equally likely"], ["pert", "peaked (PERT)"], ["triangular", "triangular"],
        ["lognormal", "skewed: 90 % in the range (lognormal)"]], shape,
        (v) => { shape = v; rebuild(); }, {"aria-label": `${opts.title}: shape`});
      box.append(h("div", {class: "range"}, h("span", {class: "what"}, opts.title), " from ", inputs.low, " to ", inputs.high, " ",
        h("span", {class: "unit"}, unitText(unit)), " ", shapeSel, " ", modeLabel));
      out.append(...preview(s, unit));
      box.append(out);
      if (s.source && s.source.length) box.append(h("p", {class: "note"}, `Sources: ${s.source.join(", ")}`));
      else box.append(label("Why these numbers", text(s.basis, (v) => { owner[k].basis = v; changed(); },
        {"data-field": `${field}.basis`, class: "basis"})));
    };
    draw();
    return box;
  }

  // -- measures, incentives, verification, triggers -------------------------------------------
  const measureLabel = Object.fromEntries(V.measures);
  const FACILITY_KINDS = ["freeze", "disable", "dismantle", "declaration"];
  const judged = (low, high) => ({dist: "uniform", low, high, judgement: true, basis: V.basis});
  function measureDefaults(kind) {
    if (FACILITY_KINDS.includes(kind)) return {facilities: []};
    if (kind === "ctbt") return {step: "sign"};
    if (["flight-test-moratorium", "missile-production-halt", "missile-elimination"].includes(kind)) return {classes: ["icbm"]};
    if (kind === "ship-out") return {pu_share: {dist: "fixed", value: 1, judgement: true, basis: V.basis}, heu_share: {dist: "fixed", value: 1, judgement: true, basis: V.basis}};
    if (kind === "test-site-closure") return {method: "close"};
    if (kind === "cap") return {stock: "warheads", limit: 50, excess: "removed"};
    if (kind === "confidence-building") return {action: (V.steps.dprk[0] || [""])[0]};
    return {};
  }
  const incentiveDefaults = (kind) => (kind === "sanctions-relief" ? {sanctions: []} : kind === "confidence-building" ? {action: (V.steps.us[0] || [""])[0]} : {});
  const facilityOptions = V.facilities.map(([id, name]) => [id, name]);
  const siteOptions = V.sites.map((s) => [s, s]);
  const classOptions = V.classes.map((c) => [c, c.toUpperCase()]);

  function targets(m, field) {
    return [checks(facilityOptions, m.facilities, (v) => { set(m, "facilities", v); changed(); }, `${field}.facilities`, "Facilities"),
      checks(siteOptions, m.sites, (v) => { set(m, "sites", v); changed(); }, `${field}.sites`, "Or every declared facility at"),
      h("label", {}, h("input", {type: "checkbox", checked: m.all_facilities === true, "data-field": `${field}.all_facilities`,
        on: {change: (e) => { set(m, "all_facilities", e.target.checked || undefined); changed(); }}}), " all facilities")];
  }

  function measureFields(m, field) {
    const k = m.kind, out = [];
    if (FACILITY_KINDS.includes(k)) out.push(...targets(m, field));
    if (k === "declaration") out.push(spec(m, "completeness", `${field}.completeness`, CHANCE, {title: "Chance it is complete", optional: "a chance it is complete"}));
    if (k === "ctbt") out.push(label("Step", select(V.ctbt_steps.map((s) => [s, s === "sign" ? "signed" : "ratified"]), m.step || "sign", (v) => { m.step = v; changed(); }, {"data-field": `${field}.step`})));
    if (["flight-test-moratorium", "missile-production-halt", "missile-elimination"].includes(k)) {
      out.push(checks(classOptions, m.classes, (v) => { m.classes = v; changed(); }, `${field}.classes`, "Missile classes"));
    }
    if (k === "flight-test-moratorium") {
      out.push(label("Satellite launches", select(V.space_launch_scopes.map((s) => [s, {covered: "covered by the halt", excluded: "allowed", disputed: "left unsettled"}[s]]),
        m.space_launches || "covered", (v) => { m.space_launches = v; changed(); }, {"data-field": `${field}.space_launches`})));
    }
    if (k === "ship-out") {
      out.push(spec(m, "pu_share", `${field}.pu_share`, CHANCE, {title: "Share of plutonium shipped"}),
        spec(m, "heu_share", `${field}.heu_share`, CHANCE, {title: "Share of uranium shipped"}));
    }
    if (k === "test-site-closure") {
      out.push(label("How", select(V.test_site_methods.map((s) => [s, s === "close" ? "closed and sealed" : "demolished"]), m.method || "close", (v) => { m.method = v; changed(); }, {"data-field": `${field}.method`})));
    }
    if (k === "cap") out.push(...capFields(m, field));
    if (k === "confidence-building") {
      out.push(label("Step", select(V.steps.dprk, m.action, (v) => { m.action = v; changed(); }, {"data-field": `${field}.action`})));
    }
    return out;
  }

  function capFields(m, field) {
    const target = m.facilities ? "facilities" : (m.launchers ? "launchers" : "stock");
    const box = h("div", {});
    const retarget = (v) => {
      for (const p of ["stock", "launchers", "facilities", "limit", "share", "excess"]) delete m[p];
      Object.assign(m, v === "stock" ? {stock: "warheads", limit: 50, excess: "removed"} : v === "launchers" ? {launchers: ["icbm"], limit: 0} : {facilities: [], share: 0.5});
      restructure();
    };
    box.append(label("A ceiling on", select([["stock", "a stock of material"], ["launchers", "missile launchers"], ["facilities", "facilities' output"]], target, retarget)));
    const num = (p, title, unit, chance) => label(title, h("input", {type: "text", inputmode: "decimal", size: 7, value: shown(m[p], chance ? CHANCE : ""), "data-field": `${field}.${p}`,
      on: {input: (e) => { set(m, p, parse(e.target.value, chance ? CHANCE : "")); changed(); }}}), chance ? unitText(CHANCE) : unit);
    if (target === "stock") {
      box.append(label("Stock", select(V.cap_stocks.map((k) => [k, {pu: "separated plutonium (kg)", heu: "weapon-grade uranium (kg)", warheads: "material for warheads"}[k] || k]), m.stock, (v) => { m.stock = v; changed(); }, {"data-field": `${field}.stock`})),
        num("limit", "Limit", m.stock === "warheads" ? "warheads" : "kg"),
        label("Excess", select(V.cap_excess.map((k) => [k, {removed: "removed for good", declared: "declared and stored under seal"}[k] || k]), m.excess || "removed", (v) => { m.excess = v; changed(); }, {"data-field": `${field}.excess`})));
    } else if (target === "launchers") {
      box.append(checks(classOptions, m.launchers, (v) => { m.launchers = v; changed(); }, `${field}.launchers`, "Missile classes"),
        num("limit", "Limit", "launchers per class"));
    } else {
      box.append(checks(facilityOptions, m.facilities, (v) => { m.facilities = v; changed(); }, `${field}.facilities`, "Facilities"),
        num("share", "Output allowed", "", true));
    }
    return [box];
  }

  function more(item, field, what) {
    const ids = h("details", {class: "more"}, h("summary", {}, "More: id, when it binds, sunset"),
      label("Id (to tie incentives to it)", h("input", {type: "text", size: 14, value: item.id ?? "", "data-field": `${field}.id`,
        on: {change: (e) => renameMeasure(item, e.target.value.trim())}})));
    if (what === "measure") {
      ids.append(label("Binds", select([["", "the default for its kind"], ...V.binds.map((k) => [k, {start: "from the phase's start", complete: "once the phase is complete"}[k] || k])], item.binds || "",
        (v) => { set(item, "binds", v); changed(); }, {"data-field": `${field}.binds`})),
      label("Lapses on (sunset)", h("input", {type: "month", value: item.until || "", "data-field": `${field}.until`,
        on: {input: (e) => { set(item, "until", e.target.value); changed(); }}})));
    }
    if (item.id || item.binds || item.until) ids.open = true;
    return ids;
  }

  function card(title, field, onRemove, ...body) {
    return h("fieldset", {class: "item", "data-field": field}, h("legend", {}, title),
      h("button", {type: "button", class: "small remove", on: {click: onRemove}, "aria-label": `Remove ${title}`}, "Remove"), ...body);
  }

  function measureCard(phase, m, i, field) {
    const kindSel = select(V.measures, m.kind, (v) => {
      const keep = m.id ? {id: m.id} : {};
      phase.measures[i] = {kind: v, ...measureDefaults(v), ...keep};
      restructure();
    }, {"aria-label": `Measure ${i + 1}: kind`, "data-field": `${field}.kind`});
    return card(`Measure ${i + 1}`, field, () => { phase.measures.splice(i, 1); restructure(); },
      kindSel, ...measureFields(m, field), more(m, field, "measure"));
  }

  function measureIds() {
    return phases().flatMap((p) => (p.measures || []).filter((m) => m && m.id).map((m) => [m.id, `${m.id} (${measureLabel[m.kind] || m.kind})`]));
  }

  function incentiveCard(phase, g, i, field) {
    const kindSel = select(V.incentives, g.kind, (v) => {
      const keep = Object.fromEntries(["for_measure", "snapback", "note"].filter((k) => g[k] !== undefined).map((k) => [k, g[k]]));
      phase.incentives[i] = {kind: v, ...incentiveDefaults(v), ...keep};
      restructure();
    }, {"aria-label": `Incentive ${i + 1}: kind`, "data-field": `${field}.kind`});
    const body = [kindSel];
    if (g.kind === "sanctions-relief") body.push(checks(V.sanctions, g.sanctions, (v) => { g.sanctions = v; changed(); }, `${field}.sanctions`, "Sanctions lifted"));
    if (g.kind === "confidence-building") body.push(label("Step", select(V.steps.us, g.action, (v) => { g.action = v; changed(); }, {"data-field": `${field}.action`})));
    body.push(label("Received", select([["", "as the phase progresses"], ...measureIds().map(([id, t]) => [id, `in full once ${t} binds`])], g.for_measure || "",
      (v) => { set(g, "for_measure", v); changed(); }, {"data-field": `${field}.for_measure`})),
    h("label", {}, h("input", {type: "checkbox", checked: g.snapback === true, "data-field": `${field}.snapback`,
      on: {change: (e) => { set(g, "snapback", e.target.checked || undefined); changed(); }}}), " snaps back for good when a breach is found"));
    return card(`Incentive ${i + 1}`, field, () => { phase.incentives.splice(i, 1); restructure(); }, ...body);
  }

  function verificationCard(phase, v, i, field) {
    return card(`Verification ${i + 1}`, field, () => { phase.verification.splice(i, 1); restructure(); },
      label("Verifier", text(v.verifier, (x) => { v.verifier = x; changed(); }, {"data-field": `${field}.verifier`, size: 12})),
      checks(facilityOptions, v.facilities, (x) => { set(v, "facilities", x); changed(); }, `${field}.facilities`, "Facilities checked"),
      checks(siteOptions, v.sites, (x) => { set(v, "sites", x); changed(); }, `${field}.sites`, "Sites checked"),
      h("label", {}, h("input", {type: "checkbox", checked: v.undeclared_access === true, "data-field": `${field}.undeclared_access`,
        on: {change: (e) => { set(v, "undeclared_access", e.target.checked || undefined); changed(); }}}), " may inspect undeclared sites on request"),
      spec(v, "detect_per_month", `${field}.detect_per_month`, CHANCE, {title: "Chance of detecting cheating, per month"}),
      spec(v, "dispute_per_month", `${field}.dispute_per_month`, CHANCE, {title: "Chance a dispute starts, per month"}),
      spec(v, "access_lag_months", `${field}.access_lag_months`, MONTHS, {title: "Inspectors in place after"}));
  }

  function addRow(options, placeholder, onAdd) {
    const sel = select([["", placeholder], ...options], "", () => {}, {"aria-label": placeholder});
    return h("div", {class: "add"}, sel, h("button", {type: "button", class: "small", on: {click: () => { if (sel.value) onAdd(sel.value); }}}, "Add"));
  }

  // -- phases ---------------------------------------------------------------------------------
  function startFields(p, i, field) {
    const st = isMap(p.start) ? p.start : {};
    const how = st.after !== undefined ? "after" : st.date !== undefined ? "date" : "signature";
    const others = phases().filter((q, j) => j !== i && q && q.id).map((q) => [q.id, `${q.id}: ${q.name || ""}`]);
    const box = h("div", {class: "start", "data-field": `${field}.start`});
    box.append(label("Starts", select([["signature", "at signature"], ["after", "after another phase is complete and verified"], ["date", "on a date"]], how, (v) => {
      const before = i > 0 && isMap(phases()[i - 1]) ? phases()[i - 1].id : (others[0] || [""])[0];
      p.start = v === "after" ? {after: before} : v === "date" ? {date: doc.start || ""} : {at: "signature"};
      restructure();
    }, {"data-field": `${field}.start.kind`})));
    if (how === "after") {
      box.append(label("After", select(others.length ? others : [[st.after, st.after]], st.after, (v) => { st.after = v; changed(); }, {"data-field": `${field}.start.after`})),
        spec(st, "offset_months", `${field}.start.offset_months`, MONTHS, {title: "Then waits", optional: "a delay after it"}));
    }
    if (how === "date") box.append(label("On", h("input", {type: "month", value: st.date || "", "data-field": `${field}.start.date`, on: {input: (e) => { st.date = e.target.value; changed(); }}})));
    return box;
  }

  function phaseCard(p, i) {
    const field = `phases[${key(p, i)}]`;
    const move = (d) => { const j = i + d; [doc.phases[i], doc.phases[j]] = [doc.phases[j], doc.phases[i]]; restructure(); };
    const box = h("fieldset", {class: "phase-card", "data-field": field},
      h("legend", {}, `Phase ${i + 1}${p.name ? `: ${p.name}` : ""}`),
      h("div", {class: "phase-tools"},
        h("button", {type: "button", class: "small", disabled: i === 0, on: {click: () => move(-1)}, "aria-label": `Move phase ${i + 1} up`}, "↑ Up"),
        h("button", {type: "button", class: "small", disabled: i === doc.phases.length - 1, on: {click: () => move(1)}, "aria-label": `Move phase ${i + 1} down`}, "↓ Down"),
        h("button", {type: "button", class: "small remove", on: {click: () => { removePhase(i); }}, "aria-label": `Remove phase ${i + 1}`}, "Remove")),
      h("div", {class: "row"},
        label("Name", text(p.name, (v) => { p.name = v; box.querySelector("legend").textContent = `Phase ${i + 1}${v ? `: ${v}` : ""}`; changed(); }, {"data-field": `${field}.name`})),
        label("Id", h("input", {type: "text", size: 12, value: p.id ?? "", "data-field": `${field}.id`, on: {change: (e) => renamePhase(p, e.target.value.trim())}}))),
      startFields(p, i, field),
      spec(p, "duration_months", `${field}.duration_months`, MONTHS, {title: "Implementation takes"}));
    const section = (title, list, make, adder) => h("div", {class: "part", "data-field": `${field}.${list}`}, h("h4", {}, title),
      (Array.isArray(p[list]) ? p[list] : []).map((x, j) => (isMap(x) ? make(p, x, j, `${field}.${list}[${key(x, j)}]`)
        : unreadable(`${field}.${list}[${j}]`))), adder);
    const add = (list, item) => { if (!Array.isArray(p[list])) p[list] = []; p[list].push(item); restructure(); };
    box.append(
      section("North Korea does", "measures", measureCard, addRow(V.measures, "a measure…", (k) => add("measures", {kind: k, ...measureDefaults(k)}))),
      section("In return", "incentives", incentiveCard, addRow(V.incentives, "an incentive…", (k) => add("incentives", {kind: k, ...incentiveDefaults(k)}))),
      section("Verification", "verification", verificationCard, h("button", {type: "button", class: "small", on: {click: () => {
        const named = [...new Set((p.measures || []).flatMap((m) => (FACILITY_KINDS.includes(m.kind) && m.facilities) || []))];
        add("verification", {verifier: "IAEA", facilities: named, detect_per_month: judged(0.5, 0.9), dispute_per_month: judged(0, 0.02), access_lag_months: judged(0, 2)});
      }}}, "Add verification")));
    return box;
  }

  function renameMeasure(m, id) {
    const old = m.id;
    set(m, "id", id);
    for (const p of phases()) for (const g of (Array.isArray(p.incentives) ? p.incentives : [])) {
      if (old && isMap(g) && g.for_measure === old) set(g, "for_measure", id);
    }
    restructure();
  }
  function renamePhase(p, id) {
    const old = p.id;
    p.id = id;
    for (const q of phases()) if (q && q.start && q.start.after === old && old) q.start.after = id;
    restructure();
  }
  function removePhase(i) {
    const gone = doc.phases[i];
    doc.phases.splice(i, 1);
    const moved = [];
    for (const q of doc.phases) {
      if (isMap(q) && isMap(q.start) && q.start.after === gone.id) {
        q.start = isMap(gone.start) ? JSON.parse(JSON.stringify(gone.start)) : {at: "signature"};
        moved.push(q.name || q.id);
      }
    }
    if (moved.length) {
      notice = `${moved.join(", ")} now start${moved.length === 1 ? "s" : ""} as the removed phase did.`;
    }
    restructure();
  }
  function addPhase() {
    if (!Array.isArray(doc.phases)) doc.phases = [];
    const ids = new Set(doc.phases.map((p) => p.id));
    let n = doc.phases.length + 1;
    while (ids.has(`phase-${n}`)) n++;
    const last = doc.phases[doc.phases.length - 1];
    doc.phases.push({id: `phase-${n}`, name: `Phase ${n}`, start: last && last.id ? {after: last.id} : {at: "signature"},
      duration_months: judged(3, 12), measures: [], incentives: [], verification: []});
    restructure();
  }

  function triggerCard(t, i, field) {
    return card(`Trigger ${i + 1}`, field, () => { doc.triggers.splice(i, 1); restructure(); },
      h("div", {class: "row"}, label("Id", text(t.id, (v) => { t.id = v.trim(); changed(); }, {"data-field": `${field}.id`, size: 12})),
        label("Event", text(t.event, (v) => { t.event = v; changed(); }, {"data-field": `${field}.event`}))),
      spec(t, "rate_per_year", `${field}.rate_per_year`, PER_YEAR, {title: "Happens"}),
      spec(t, "p_breach", `${field}.p_breach`, CHANCE, {title: "Chance it is ruled a breach"}));
  }

  // -- the whole form -------------------------------------------------------------------------
  function render() {
    const focus = document.activeElement && root.contains(document.activeElement) ? document.activeElement.getAttribute("data-field") : null;
    const deal = h("fieldset", {class: "deal", "data-field": ""}, h("legend", {}, "The deal"),
      h("div", {class: "row"},
        label("Name", text(doc.name, (v) => { doc.name = v.trim(); changed(); }, {"data-field": "name", size: 16, "aria-describedby": "name-hint"})),
        label("Title", text(doc.title, (v) => { doc.title = v; changed(); }, {"data-field": "title"}))),
      h("p", {class: "note", id: "name-hint"}, "Name: lower-case letters, digits and dashes; it names the file and the run."),
      h("div", {class: "row"},
        label("Kind", select(V.scenario_kinds, doc.kind || "agreement", (v) => { doc.kind = v; changed(); }, {"data-field": "kind"})),
        label("Signed", h("input", {type: "month", value: doc.start || "", "data-field": "start", on: {input: (e) => { doc.start = e.target.value; changed(); }}})),
        label("Projected for", h("input", {type: "number", min: 1, max: 60, value: doc.horizon_years ?? "", placeholder: "15", "data-field": "horizon_years",
          on: {input: (e) => { set(doc, "horizon_years", e.target.value === "" ? "" : Number(e.target.value)); changed(); }}}), "years")),
      label("Description", h("textarea", {rows: 3, value: doc.description ?? "", "data-field": "description",
        on: {input: (e) => { set(doc, "description", e.target.value); changed(); }}})));
    const phaseList = h("div", {class: "phases", "data-field": "phases"}, h("h3", {}, `Phases (${phases().length})`),
      phases().map((p, i) => (isMap(p) ? phaseCard(p, i) : unreadable(`phases[${i}]`))),
      h("button", {type: "button", id: "add-phase", on: {click: addPhase}}, "Add a phase"));
    const listed = Array.isArray(doc.triggers) ? doc.triggers : [];
    const triggers = h("div", {class: "part", "data-field": "triggers"}, h("h3", {}, "Outside events that may end it"),
      listed.map((t, i) => (isMap(t) ? triggerCard(t, i, `triggers[${key(t, i)}]`) : unreadable(`triggers[${i}]`))),
      listed.length < V.max_triggers ? h("button", {type: "button", class: "small", on: {click: () => {
        if (!Array.isArray(doc.triggers)) doc.triggers = [];
        doc.triggers.push({id: `trigger-${doc.triggers.length + 1}`, event: "satellite launch", rate_per_year: judged(0.2, 1), p_breach: judged(0.2, 0.6)});
        restructure();
      }}}, "Add an outside event") : null);
    const units = h("p", {class: "units"}, "Chances in ",
      h("label", {class: "inline"}, h("input", {type: "radio", name: "chance-unit", value: "percent", checked: percent, on: {change: () => { percent = true; render(); }}}), " percent"),
      h("label", {class: "inline"}, h("input", {type: "radio", name: "chance-unit", value: "fraction", checked: !percent, on: {change: () => { percent = false; render(); }}}), " fractions (0–1)"));
    root.replaceChildren(h("fieldset", {id: "builder-form", class: "bare"}, units, deal, phaseList, triggers));
    if (focus !== null) { const el = root.querySelector(`[data-field="${CSS.escape(focus)}"]`); if (el) el.focus(); }
  }

  // -- problems next to their fields ----------------------------------------------------------
  function target(field) {
    let best = null, len = -1;
    for (const el of root.querySelectorAll("[data-field]")) {
      const f = el.getAttribute("data-field");
      const hit = f === field || (field.startsWith(f) && (f === "" || ".[".includes(field[f.length])));
      if (hit && f.length > len) { best = el; len = f.length; }
    }
    return best;
  }
  // A range's problem names the number it is about (`low`, "high (9) must exceed…"): mark that box.
  const BOXES = {low: "low", value: "low", p5: "low", high: "high", p95: "high", mode: "mode"};
  function boxOf(spec, reason) {
    const named = /^`(\w+)`/.exec(reason) || /^(\w+) \(/.exec(reason);
    const box = named && BOXES[named[1]] ? spec.querySelectorAll("input[type=text]")[["low", "high", "mode"].indexOf(BOXES[named[1]])] : null;
    return box || spec;
  }
  function showProblems(problems) {
    for (const el of root.querySelectorAll(".field-problem")) el.remove();
    for (const el of root.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
    summary.replaceChildren();
    if (!problems.length) return;
    summary.append(h("p", {}, h("strong", {}, problems.length === 1 ? "One problem:" : `${problems.length} problems:`)),
      h("ul", {}, problems.map((p) => h("li", {}, p.field ? h("code", {}, p.field) : null, p.field ? ": " : "", p.reason,
        p.line ? ` (YAML line ${p.line})` : ""))));
    for (const p of problems) {
      let el = p.field ? target(p.field) : null;
      if (!el || el.getAttribute("data-field") === "") continue;
      if (el.classList.contains("spec")) el = boxOf(el, p.reason);
      const note = h("p", {class: "field-problem"}, p.reason + (percent && /fraction from 0 to 1/.test(p.reason)
        ? " In the form, with chances in percent: from 0 to 100 %." : ""));
      if (el.matches("input, select, textarea")) { el.setAttribute("aria-invalid", "true"); (el.closest("label") || el).after(note); }
      else if (el.firstElementChild && el.firstElementChild.matches("legend")) el.firstElementChild.after(note);
      else el.prepend(note);
    }
  }

  // -- keeping form and YAML in step ----------------------------------------------------------
  function send(body, from) {
    const mine = ++seq;
    pending = fetch("/api/scenarios/draft", {method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "Accept": "application/json"}, body: JSON.stringify(body)})
      .then((r) => (r.ok ? r.json() : r.json().then((e) => Promise.reject(new Error(e.error || r.statusText)))))
      .then((answer) => { if (mine === seq) apply(answer, from); })
      .catch((err) => {
        if (mine !== seq) return;
        status.textContent = `Could not check the draft: ${err.message}`;
        yamlBox.readOnly = false;
        const lock = root.querySelector("#builder-form");
        if (lock) lock.disabled = false;
      })
      .finally(() => { if (mine === seq) pending = null; });
    return pending;
  }
  function apply(answer, from) {
    const lock = root.querySelector("#builder-form");
    if (from === "form") {
      const had = yamlBox.value;
      if (/^\s*#|\s#/m.test(had) && had !== answer.yaml) beforeRewrite = had;
      yamlBox.value = answer.yaml;
      yamlBox.readOnly = false;
      offerUndo();
    } else if (answer.document) {
      doc = answer.document;
      render();
    } else if (lock) {
      lock.disabled = true;
    }
    const unreadable = !answer.document;
    status.textContent = unreadable
      ? "The YAML does not parse, so the form waits (it will not write over it): fix the YAML, and the form follows."
      : answer.valid ? `Valid: ${answer.name}, ${answer.phases} phase${answer.phases === 1 ? "" : "s"}, checked against the profile. Save it to run it.`
        : "Not valid yet: see the problems below.";
    if (notice) { status.textContent = `${notice} ${status.textContent}`; notice = null; }
    status.className = answer.valid ? "ok" : "problem";
    showProblems(answer.problems);
  }
  function offerUndo() {
    const old = document.getElementById("undo-rewrite");
    if (old) old.remove();
    if (beforeRewrite === null) return;
    yamlBox.before(h("p", {id: "undo-rewrite", class: "note"}, "The form rewrote the YAML and its comments are gone. ",
      h("button", {type: "button", class: "small", on: {click: () => {
        yamlBox.value = beforeRewrite; beforeRewrite = null; offerUndo(); queue(() => ({yaml: yamlBox.value}), "yaml", 0);
      }}}, "Undo the rewrite")));
  }
  function queue(make, from, wait) {
    clearTimeout(timer);
    ++seq;  // an older answer must not overwrite this edit
    queued = {make, from};
    status.textContent = "Checking…";
    status.className = "";
    timer = setTimeout(flush, wait);
  }
  function flush() {
    clearTimeout(timer);
    timer = null;
    const q = queued;
    queued = null;
    return q ? send(q.make(), q.from) : (pending || Promise.resolve());
  }
  // One side at a time: while a form edit is on its way to the YAML, the YAML is read-only; while
  // a YAML edit is being read, the form is locked. Neither can then overwrite the other's edit.
  const changed = () => { yamlBox.readOnly = true; queue(() => ({document: doc}), "form", 250); };
  function restructure() { render(); changed(); }

  yamlBox.addEventListener("input", () => {
    beforeRewrite = null;
    offerUndo();
    const lock = root.querySelector("#builder-form");
    if (lock) lock.disabled = true;
    queue(() => ({yaml: yamlBox.value}), "yaml", 400);
  });
  // Validate and Save post the YAML: first let a pending edit reach it.
  yamlForm.addEventListener("submit", (e) => {
    if (queued === null && pending === null) return;
    e.preventDefault();
    const button = e.submitter;
    flush().then(() => yamlForm.requestSubmit(button));
  });
  root.replaceChildren();
  status.textContent = "Reading the YAML…";
  send({yaml: yamlBox.value}, "yaml");
})();
