// statewright studio: the page's script (served at /studio.js; templates/studio.html).
"use strict";
const $ = (id) => document.getElementById(id);
const HEADERS = {"Content-Type": "application/json", "X-Statewright-Studio": "1"};
// Served beyond loopback, the studio prints its URL with a token that every API call carries;
// the page keeps it for this tab and takes it out of the address bar.
(() => {
  const params = new URLSearchParams(location.search);
  const token = params.get("token");
  if (token) {
    sessionStorage.setItem("statewright-token", token);
    params.delete("token");
    const rest = params.toString();
    history.replaceState(null, "", location.pathname + (rest ? "?" + rest : "") + location.hash);
  }
  const kept = sessionStorage.getItem("statewright-token");
  if (kept) HEADERS["X-Statewright-Token"] = kept;
})();
const state = {
  path: null, hash: null, saved: "", steps: [], redo: [], diagnostics: [],
  renderSeq: 0, timer: null, instance: null, seq: null,
};

function status(text, bad = false) {
  $("status").textContent = text;
  $("status").className = bad ? "bad" : "";
}

async function api(method, url, body) {
  const options = {method, headers: HEADERS};
  if (body !== undefined) options.body = JSON.stringify(body);
  const response = await fetch(url, options);
  let data = {};
  try { data = await response.json(); } catch (e) { data = {error: response.statusText}; }
  return {ok: response.ok, status: response.status, data};
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}

/* ---- files ---------------------------------------------------------------------------- */

async function loadFiles(open = null) {
  const {ok, data} = await api("GET", "/api/files");
  if (!ok) { status(data.error, true); return; }
  const select = $("file-select");
  select.replaceChildren(...data.files.map((f) => el("option", {value: f}, f)));
  $("tab-instances").hidden = !data.store;
  if (open !== null && data.files.includes(open)) await openFile(open);
  else if (data.files.length) await openFile(data.files[0]);
  else status("no chart files in this folder");
}

async function openFile(path) {
  if (dirty() && !confirm(`Discard the changes to ${state.path}?`)) {
    $("file-select").value = state.path;
    return;
  }
  const {ok, data} = await api("GET", "/api/file?path=" + encodeURIComponent(path));
  if (!ok) { status(data.error, true); return; }
  state.path = path; state.hash = data.hash; state.saved = data.text;
  state.steps = []; state.redo = [];
  $("file-select").value = path;
  $("editor").value = data.text;
  hideConflict();
  changed(true);
  status(`opened ${path}`);
}

function dirty() { return state.path !== null && $("editor").value !== state.saved; }

async function save(force = false) {
  if (state.path === null) return;
  const text = $("editor").value;
  const {ok, status: code, data} = await api(
    "PUT", "/api/file", {path: state.path, text, hash: state.hash, force});
  if (code === 409 && data.text !== undefined) {
    state.disk = data;
    $("conflict-text").textContent = `${state.path} changed on disk since you opened it.`;
    $("conflict").classList.add("shown");
    status("not saved: the file changed on disk", true);
    return;
  }
  if (!ok) { status(data.error, true); return; }
  state.hash = data.hash; state.saved = text;
  hideConflict();
  showDirty();
  status(`saved ${state.path}`);
}

const TEMPLATES = {
  smcat: "initial, idle, busy;\n\ninitial => idle;\nidle => busy: start;\nbusy => idle: done;\n",
  yaml: "states:\n  - initial\n  - idle\n  - busy\ntransitions:\n  - {from: initial, to: idle}\n" +
        "  - {from: idle, to: busy, event: start}\n  - {from: busy, to: idle, event: done}\n",
};

async function newFile() {
  if (dirty() && !confirm(`Discard the changes to ${state.path}?`)) return;
  const name = prompt("Name of the new chart file (.smcat or .yaml), in this folder:", "new.smcat");
  if (!name) return;
  const text = /\.ya?ml$/.test(name) ? TEMPLATES.yaml : TEMPLATES.smcat;
  const {ok, data} = await api("PUT", "/api/file", {path: name, text, hash: null, create: true});
  if (!ok) { status(data.error, true); return; }
  state.saved = "";  // nothing to lose: the file was just written
  $("editor").value = "";
  await loadFiles(name);
  status(`created ${name}`);
}

function hideConflict() { $("conflict").classList.remove("shown"); }

function showDirty() { $("dirty").textContent = dirty() ? "● modified" : ""; }

/* ---- editor --------------------------------------------------------------------------- */

/* ---- colouring: a small tokenizer per line (the parser on the server is the judge) --------- */

const SMCAT_TOKENS = [
  ["comment", /^\/\/.*/],
  ["comment", /^\/\*[\s\S]*?(\*\/|$)/],
  ["string", /^"(?:\\"|[^"])*"?/],
  ["arrow", /^(=>>|=>|->|>>|:>|--|==|<<=|<=|<-|<<|<:)/],
  ["attr", /^\[[^\]]*\]?/],
  ["punct", /^[;,{}:]/],
];
const YAML_TOKENS = [
  ["comment", /^#.*/],
  ["string", /^("(?:\\.|[^"])*"?|'(?:''|[^'])*'?)/],
  ["punct", /^[\[\]{},-]/],
];

function colour(line, yaml, inComment) {
  // Returns [nodes, still inside a block comment]. Only colours: every character is kept.
  const nodes = [];
  let rest = line, label = false;
  if (!yaml && inComment) {
    const end = rest.indexOf("*/");
    const upTo = end < 0 ? rest.length : end + 2;
    nodes.push(el("span", {class: "tok-comment"}, rest.slice(0, upTo)));
    rest = rest.slice(upTo);
    if (end < 0) return [nodes, true];
  }
  if (!yaml && /^\s*#/.test(rest)) return [[el("span", {class: "tok-note"}, rest)], false];
  if (yaml) {
    const key = /^(\s*(?:-\s+)?)([^\s:#'"][^:#]*?)(:)(\s|$)/.exec(rest);
    if (key) {
      nodes.push(key[1], el("span", {class: "tok-key"}, key[2]), el("span", {class: "tok-punct"}, key[3]));
      rest = rest.slice(key[1].length + key[2].length + 1);
    }
  }
  let plain = "";
  while (rest.length) {
    let matched = null;
    for (const [kind, pattern] of (yaml ? YAML_TOKENS : SMCAT_TOKENS)) {
      const found = pattern.exec(rest);
      if (found && found[0].length) { matched = [kind, found[0]]; break; }
    }
    if (!matched || (label && matched[0] !== "comment" && matched[1] !== ";")) {
      plain += rest[0]; rest = rest.slice(1); continue;
    }
    if (plain) { nodes.push(label ? el("span", {class: "tok-label"}, plain) : plain); plain = ""; }
    const [kind, text] = matched;
    nodes.push(el("span", {class: "tok-" + kind}, text));
    rest = rest.slice(text.length);
    if (!yaml && text === ":") label = true;
    if (!yaml && (text === ";" || text === ",")) label = false;
    if (kind === "comment" && text.startsWith("/*") && !text.endsWith("*/")) {
      return [nodes, true];
    }
  }
  if (plain) nodes.push(label ? el("span", {class: "tok-label"}, plain) : plain);
  return [nodes, false];
}

function paintEditor() {
  const lines = $("editor").value.split("\n");
  const yaml = /\.ya?ml$/.test(state.path || "");
  let inComment = false;
  const marks = new Map();
  for (const d of state.diagnostics) {
    for (let line = d.line; line <= Math.max(d.line, d.end_line); line++) {
      const known = marks.get(line);
      if (!known || d.severity === "error") marks.set(line, d);
      if (d.end_line > d.line + 20) break;
    }
  }
  const gutter = [], backdrop = [];
  lines.forEach((text, index) => {
    const line = index + 1;
    const mark = marks.get(line);
    const kind = mark ? (mark.severity === "error" ? "error" : "warning") : "";
    const number = el("div", {class: kind}, String(line));
    if (mark) number.title = `${mark.code}: ${mark.message}`;
    gutter.push(number);
    const [nodes, open] = colour(text, yaml, inComment);
    inComment = open;
    const span = mark ? columns(mark, line, text.length) : null;
    const row = el("div", {class: kind}, ...(span ? underline(nodes, ...span, kind) : nodes));
    if (mark && mark.line === line) {
      row.append(el("span", {class: "note"}, `${mark.code}: ${mark.message}`));
    }
    backdrop.push(row);
  });
  $("gutter").replaceChildren(...gutter);
  $("backdrop").replaceChildren(...backdrop);
  syncScroll();
}

function columns(d, line, length) {
  // the 0-based columns [from, to) of line `line` that diagnostic `d` blames
  const last = Math.max(d.line, d.end_line || d.line);
  const from = line === d.line ? Math.max(d.column - 1, 0) : 0;
  const to = line === last && d.end_column ? d.end_column - 1 : length;
  return [from, Math.max(to, from + 1)];
}

function underline(nodes, from, to, kind) {
  // the same text, with the characters in [from, to) underlined (a blamed span past the end of
  // the line, such as "unexpected end of input", gets an empty marker after it: no character
  // is added, so the text stays aligned with the editor's)
  const out = [];
  let at = 0;
  const piece = (cls, text, marked) => {
    if (!text) return;
    const classes = [cls, marked ? "squiggle-" + kind : ""].filter(Boolean).join(" ");
    out.push(classes ? el("span", {class: classes}, text) : text);
  };
  for (const node of nodes) {
    const text = typeof node === "string" ? node : node.textContent;
    const cls = typeof node === "string" ? "" : node.className;
    const start = at, end = at + text.length;
    at = end;
    const a = Math.max(from, start), b = Math.min(to, end);
    if (a >= b) { out.push(node); continue; }
    piece(cls, text.slice(0, a - start), false);
    piece(cls, text.slice(a - start, b - start), true);
    piece(cls, text.slice(b - start), false);
  }
  if (from >= at) out.push(el("span", {class: `squiggle-${kind} past-end`}));
  return out;
}

function syncScroll() {
  $("backdrop").scrollTop = $("editor").scrollTop;
  $("backdrop").scrollLeft = $("editor").scrollLeft;
  $("gutter").scrollTop = $("editor").scrollTop;
}

function showDiagnostics() {
  const items = state.diagnostics.map((d) => el("li", {
    onclick: () => select(d), title: "show in the editor",
  },
    el("span", {class: "code-" + d.severity}, `${d.severity}[${d.code}]`),
    ` ${d.line}:${d.column} ${d.message}`,
    d.hint ? el("span", {class: "hint"}, ` — ${d.hint}`) : ""));
  $("diagnostics").replaceChildren(...items);
}

function select(d) {
  const editor = $("editor");
  const lines = editor.value.split("\n");
  const offset = (line, column) =>
    lines.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0) + Math.max(column - 1, 0);
  editor.focus();
  editor.setSelectionRange(offset(d.line, d.column), offset(d.end_line || d.line, d.end_column || d.column + 1));
}

/* ---- rendering and simulation --------------------------------------------------------- */

function changed(now = false) {
  showDirty();
  paintEditor();
  clearTimeout(state.timer);
  state.timer = setTimeout(render, now ? 0 : 250);
}

function readJson(id) {
  const input = $(id);
  try {
    const value = JSON.parse(input.value || "{}");
    if (value === null || typeof value !== "object" || Array.isArray(value)) throw new Error();
    input.classList.remove("bad");
    return value;
  } catch (e) {
    input.classList.add("bad");
    return null;
  }
}

async function render() {
  const context = readJson("context");
  if (context === null) { status("the context is not a JSON object", true); return; }
  const seq = ++state.renderSeq;
  const {ok, data} = await api("POST", "/api/render", {
    path: state.path || "chart.smcat", text: $("editor").value, steps: state.steps, context,
    theme: theme(),
  });
  if (seq !== state.renderSeq) return;  // a newer render is on its way
  if (!ok) { status(data.error, true); return; }
  state.diagnostics = data.diagnostics;
  paintEditor();
  showDiagnostics();
  const diagram = $("diagram");
  diagram.classList.remove("stale");
  state.events = data.events || {}; state.lines = data.lines || {};
  state.enabled = new Set(((data.simulation && data.simulation.enabled) || []).map((e) => e.event));
  if (data.svg) showSvg(diagram, data.svg);
  else if (data.render_error) diagram.replaceChildren(el("p", {class: "placeholder"}, data.render_error));
  else if (diagram.querySelector("svg")) {
    // the text does not read: keep the last diagram, dimmed, until it does again
    diagram.classList.add("stale");
    diagram.querySelector(".stale-note")?.remove();
    diagram.prepend(el("p", {class: "stale-note"}, "The text has a syntax error: this is the last diagram that read."));
  }
  showSimulation(data.simulation);
  const errors = data.diagnostics.filter((d) => d.severity === "error").length;
  const warnings = data.diagnostics.length - errors;
  status(errors ? `${errors} error(s), ${warnings} other finding(s)` :
         warnings ? `${warnings} finding(s)` : "no problems", errors > 0);
}

/* ---- the diagram's viewport: fit, zoom, pan ------------------------------------------ */
// A picture opens fitted to its pane. The wheel zooms around the pointer, dragging pans, and
// the bar above the pane has Fit, 1:1, + and -. The zoom is kept while the same pane shows new
// pictures (each step of the simulation), and the active states are brought into view.
const views = new Map();  // pane id -> the viewBox the user chose (none: fitted)

function natural(svg) {
  const [x, y, w, h] = svg.dataset.natural.split(" ").map(Number);
  return {x, y, w, h};
}

function viewOf(svg) {
  const [x, y, w, h] = svg.getAttribute("viewBox").split(/[\s,]+/).map(Number);
  return {x, y, w, h};
}

function setView(pane, view) {
  const svg = pane.querySelector("svg");
  if (!svg) return;
  svg.setAttribute("viewBox", `${view.x} ${view.y} ${view.w} ${view.h}`);
  views.set(pane.id, view);
}

function fit(pane) {
  const svg = pane.querySelector("svg");
  if (!svg) return;
  const box = natural(svg);
  svg.setAttribute("viewBox", `${box.x} ${box.y} ${box.w} ${box.h}`);
  views.delete(pane.id);
}

function toSvg(svg, clientX, clientY) {
  const matrix = svg.getScreenCTM();
  if (!matrix) return {x: 0, y: 0};
  const point = new DOMPoint(clientX, clientY).matrixTransform(matrix.inverse());
  return {x: point.x, y: point.y};
}

function zoom(pane, factor, clientX, clientY) {
  const svg = pane.querySelector("svg");
  if (!svg) return;
  const rect = svg.getBoundingClientRect();
  const at = toSvg(svg, clientX ?? rect.left + rect.width / 2, clientY ?? rect.top + rect.height / 2);
  const v = viewOf(svg), box = natural(svg);
  const w = Math.min(Math.max(v.w * factor, box.w / 40), box.w * 8);
  const scale = w / v.w;
  setView(pane, {x: at.x - (at.x - v.x) * scale, y: at.y - (at.y - v.y) * scale, w, h: v.h * scale});
}

function actualSize(pane) {
  // Graphviz measures in points: 1:1 is 4/3 px per unit
  const svg = pane.querySelector("svg");
  if (!svg) return;
  const box = natural(svg);
  setView(pane, {x: box.x, y: box.y, w: pane.clientWidth * 0.75, h: pane.clientHeight * 0.75});
}

function reveal(pane) {
  // bring the active states into view when they are outside it (a zoomed-in pane)
  const svg = pane.querySelector("svg");
  if (!svg || !views.has(pane.id)) return;
  const lit = [...svg.querySelectorAll("g.node.active, g.cluster.active")];
  if (!lit.length) return;
  const inverse = svg.getScreenCTM()?.inverse();
  if (!inverse) return;
  let left = Infinity, top = Infinity, right = -Infinity, bottom = -Infinity;
  for (const node of lit) {
    const r = node.getBoundingClientRect();
    for (const [px, py] of [[r.left, r.top], [r.right, r.bottom]]) {
      const p = new DOMPoint(px, py).matrixTransform(inverse);
      left = Math.min(left, p.x); top = Math.min(top, p.y);
      right = Math.max(right, p.x); bottom = Math.max(bottom, p.y);
    }
  }
  const v = viewOf(svg);
  if (left >= v.x && right <= v.x + v.w && top >= v.y && bottom <= v.y + v.h) return;
  setView(pane, {x: (left + right) / 2 - v.w / 2, y: (top + bottom) / 2 - v.h / 2, w: v.w, h: v.h});
}

function showSvg(pane, text) {
  const kept = views.get(pane.id);
  pane.innerHTML = text;
  const svg = pane.querySelector("svg");
  if (!svg) return;
  svg.dataset.natural = (svg.getAttribute("viewBox") || "0 0 100 100").trim().split(/[\s,]+/).join(" ");
  svg.removeAttribute("width");
  svg.removeAttribute("height");
  svg.setAttribute("preserveAspectRatio", "xMidYMid meet");
  if (kept) setView(pane, kept);
  reveal(pane);
}

function attachViewport(pane) {
  pane.addEventListener("wheel", (e) => {
    if (!pane.querySelector("svg")) return;
    e.preventDefault();
    zoom(pane, e.deltaY > 0 ? 1.15 : 1 / 1.15, e.clientX, e.clientY);
  }, {passive: false});
  let drag = null;
  pane.addEventListener("pointerdown", (e) => {
    const svg = pane.querySelector("svg");
    pane.dataset.dragged = "no";
    if (!svg || e.button !== 0 || e.target.closest("button")) return;
    drag = {svg, start: toSvg(svg, e.clientX, e.clientY), view: viewOf(svg),
            x: e.clientX, y: e.clientY, moved: false, pointer: e.pointerId};
  });
  pane.addEventListener("pointermove", (e) => {
    if (!drag) return;
    if (!drag.moved) {
      if (Math.abs(e.clientX - drag.x) + Math.abs(e.clientY - drag.y) < 5) return;  // a click
      drag.moved = true;
      pane.setPointerCapture(drag.pointer);
    }
    const svg = drag.svg;
    svg.setAttribute("viewBox", `${drag.view.x} ${drag.view.y} ${drag.view.w} ${drag.view.h}`);
    const now = toSvg(svg, e.clientX, e.clientY);
    const dx = now.x - drag.start.x, dy = now.y - drag.start.y;
    setView(pane, {x: drag.view.x - dx, y: drag.view.y - dy, w: drag.view.w, h: drag.view.h});
  });
  const end = () => {
    pane.dataset.dragged = drag && drag.moved ? "yes" : "no";
    drag = null;
  };
  pane.addEventListener("pointerup", end);
  pane.addEventListener("pointercancel", end);
}

for (const bar of document.querySelectorAll(".viewbar")) {
  const pane = $(bar.dataset.pane);
  attachViewport(pane);
  bar.addEventListener("click", (e) => {
    const action = e.target.closest("button")?.dataset.view;
    if (action === "fit") fit(pane);
    else if (action === "actual") actualSize(pane);
    else if (action === "in") zoom(pane, 1 / 1.25);
    else if (action === "out") zoom(pane, 1.25);
  });
}

function showSimulation(sim) {
  const events = $("events"), timeline = $("timeline");
  $("sim-error").textContent = sim && sim.error ? sim.error : "";
  const broken = !(sim && sim.timeline);
  $("simulator").classList.toggle("stale", broken && Boolean(state.simulated));
  if (broken && state.simulated) {
    // the chart does not read (or has errors): the last simulation stays, dimmed, until it does
    for (const button of events.querySelectorAll("button")) button.disabled = true;
    return;
  }
  state.simulated = Boolean(sim && sim.timeline);
  if (!sim || !sim.timeline) {
    events.replaceChildren(); timeline.replaceChildren(); $("configuration").replaceChildren();
    $("undo").disabled = state.steps.length === 0; $("redo").disabled = state.redo.length === 0;
    return;
  }
  $("configuration").replaceChildren(...sim.configuration.map((s) => el("span", {class: "state"}, s)));
  if (!sim.running) $("configuration").append(el("em", {}, " (finished)"));
  const buttons = sim.enabled.map((e) => e.delay !== null ?
    el("button", {class: "small event", "data-event": e.event, title: `advance the clock ${e.delay} s`,
                  onclick: () => step({advance: e.delay})}, `⏱ ${e.event}`) :
    el("button", {class: "small event", "data-event": e.event,
                  title: e.guarded ? "guarded: it fires only if its guard holds" : "send it",
                  onclick: () => sendEvent(e.event)}, e.event + (e.guarded ? " [?]" : "")));
  events.replaceChildren(...(buttons.length ? buttons : [el("span", {class: "none"}, "no events")]));
  timeline.replaceChildren(...sim.timeline.map((entry, index) => {
    const label = entry.step === null ? "start" :
      entry.step.advance !== undefined ? `+${entry.step.advance}s` : entry.step.event;
    const item = el("li", {class: "step" + (index === sim.timeline.length - 1 ? " current" : ""),
                           title: "go back to this step", onclick: () => rewind(index)},
      `${index}. ${label} → ${entry.configuration.join(", ")}`);
    if (entry.actions.length) item.append(el("span", {class: "actions"}, ` / ${entry.actions.join("; ")}`));
    return item;
  }));
  // the steps undone stay in view (dimmed) until a new step replaces them: click one to redo
  // up to it
  const undone = [...state.redo].reverse();
  timeline.append(...undone.map((entry, offset) => el("li", {
    class: "step undone", title: "redo up to this step",
    onclick: () => { for (let k = 0; k <= offset; k++) state.steps.push(state.redo.pop()); render(); },
  }, `${sim.timeline.length + offset}. ${entry.advance !== undefined ? `+${entry.advance}s` : entry.event}`)));
  $("context-now").textContent = JSON.stringify(sim.context, null, 1);
  $("undo").disabled = state.steps.length === 0;
  $("redo").disabled = state.redo.length === 0;
}

function sendEvent(name) {
  const data = readJson("event-data");
  if (data === null) { status("the event data is not a JSON object", true); return; }
  $("event-data").value = "{}";  // the data goes with this event only
  step(Object.keys(data).length ? {event: name, data} : {event: name});
}

function theme() {
  return matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
}

function clickDiagram(e) {
  // a transition sends its event (when the active states take it); a state shows its line
  if ($("diagram").dataset.dragged === "yes") return;
  const edge = e.target.closest("g.transition");
  if (edge) {
    const name = (state.events || {})[edge.id];
    if (!name) return;
    if (state.enabled && state.enabled.has(name)) sendEvent(name);
    else status(`\`${name}\` is not taken by the active states now`);
    return;
  }
  const node = e.target.closest("g.state");
  const title = node && node.querySelector("a")?.getAttribute("xlink:title");
  const line = title && (state.lines || {})[title];
  if (line) goToLine(line);
}

function goToLine(line) {
  const editor = $("editor");
  const lines = editor.value.split("\n");
  const start = lines.slice(0, line - 1).reduce((n, text) => n + text.length + 1, 0);
  editor.focus();
  editor.setSelectionRange(start, start + (lines[line - 1] || "").length);
  editor.scrollTop = Math.max(0, (line - 3) * parseFloat(getComputedStyle(editor).lineHeight || "18"));
  syncScroll();
}

function step(entry) { state.steps.push(entry); state.redo = []; render(); }

function rewind(index) {
  while (state.steps.length > index) state.redo.push(state.steps.pop());
  render();
}

/* ---- instances ------------------------------------------------------------------------- */

async function loadInstances() {
  const {ok, data} = await api("GET", "/api/instances");
  if (!ok) { status(data.error, true); return; }
  $("instance-list").replaceChildren(...data.instances.map((i) => el("li", {
    "data-id": i.id, class: i.id === state.instance ? "current" : "",
    onclick: () => showInstance(i.id, null),
  }, el("div", {class: "id"}, i.id), el("div", {class: "meta"}, i.problem ? i.problem :
     `v${i.version} · ${i.configuration.join(", ")}`))));
  status(`${data.instances.length} instance(s)`);
}

async function showInstance(id, seq) {
  const query = "/api/instance?id=" + encodeURIComponent(id) + (seq !== null ? "&seq=" + seq : "") +
    "&theme=" + theme();
  const {ok, data} = await api("GET", query);
  if (!ok) { status(data.error, true); return; }
  state.instance = id; state.seq = seq;
  for (const item of $("instance-list").children) {
    item.classList.toggle("current", item.dataset.id === id);
  }
  const diagram = $("instance-diagram");
  if (data.svg) showSvg(diagram, data.svg);
  else diagram.replaceChildren(el("p", {class: "placeholder"}, data.render_error));
  const s = data.state;
  $("instance-state").textContent =
    `${id} as of seq ${s.seq} (version ${s.version}): ${s.configuration.join(", ")}\n` +
    `context: ${JSON.stringify(s.context)}`;
  const rows = data.records.map((r) => el("tr", {
    class: "row-event" + (r.seq === s.seq ? " current" : ""), "data-seq": r.seq,
    title: "show the instance as of this event", onclick: () => showInstance(id, r.seq),
  }, el("td", {}, String(r.seq)), el("td", {}, r.type), el("td", {}, (r.from || []).join(", ")),
     el("td", {}, (r.to || []).join(", ")), el("td", {}, r.ts || "")));
  $("instance-log").tBodies[0].replaceChildren(...rows);
  status(seq === null ? `${id}: now` : `${id}: as of event ${seq}`);
}

/* ---- wiring ---------------------------------------------------------------------------- */

function showTab(name) {
  for (const [tab, view] of [["tab-chart", "chart-view"], ["tab-instances", "instances-view"]]) {
    const on = tab === name;
    $(tab).setAttribute("aria-selected", String(on));
    $(view).classList.toggle("shown", on);
  }
  if (name === "tab-instances") loadInstances();
}

$("diagram").addEventListener("click", clickDiagram);
matchMedia("(prefers-color-scheme: dark)").addEventListener("change", () => {
  render();
  if (state.instance) showInstance(state.instance, state.seq);
});
$("tab-chart").addEventListener("click", () => showTab("tab-chart"));
$("tab-instances").addEventListener("click", () => showTab("tab-instances"));
$("file-select").addEventListener("change", (e) => openFile(e.target.value));
$("editor").addEventListener("input", () => changed());
$("editor").addEventListener("scroll", syncScroll);
$("editor").addEventListener("keydown", (e) => {
  if ((e.ctrlKey || e.metaKey) && e.key === "s") { e.preventDefault(); save(); }
});
$("save").addEventListener("click", () => save());
$("new").addEventListener("click", () => newFile());
$("conflict-overwrite").addEventListener("click", () => save(true));
$("conflict-load").addEventListener("click", () => {
  state.hash = state.disk.hash; state.saved = state.disk.text;
  $("editor").value = state.disk.text;
  hideConflict(); changed(true); status("loaded the version on disk");
});
$("undo").addEventListener("click", () => { if (state.steps.length) { state.redo.push(state.steps.pop()); render(); } });
$("redo").addEventListener("click", () => { if (state.redo.length) { state.steps.push(state.redo.pop()); render(); } });
$("reset").addEventListener("click", () => { state.steps = []; state.redo = []; render(); });
$("context").addEventListener("input", () => { clearTimeout(state.timer); state.timer = setTimeout(render, 400); });
window.addEventListener("beforeunload", (e) => { if (dirty()) { e.preventDefault(); e.returnValue = ""; } });
loadFiles();
