/* kissgrad's backward-graph page: layout, pan and zoom, expand/collapse, hover, search.
   No library and no network: all the page needs is this file, page.css and the JSON that
   autograd/viz/page.py writes into it. The colour arithmetic mirrors autograd/viz/scale.py. */
(function () {
  "use strict";
  const DATA = JSON.parse(document.getElementById("kg-data").textContent);
  const SVG_NS = "http://www.w3.org/2000/svg";
  const svg = document.getElementById("kg-svg");
  const viewport = document.getElementById("kg-viewport");
  const tip = document.getElementById("kg-tip");
  const nodes = DATA.nodes, groups = DATA.groups;
  const GAP_X = 44, GAP_Y = 14, PAD = 10, TITLE_H = 22, LINE_H = 14, ROW_W = 2400, FONT = "11px 'DejaVu Sans', Helvetica, Arial, sans-serif";

  const {colourOf, fontOn} = kgColourScale(DATA.scale);  // scale.js, shared
  function statsColour(st) {
    if (!st) return DATA.scale.none;
    return st.nonfinite ? DATA.scale.nonfinite : colourOf(st.norm);
  }
  function combine(parts) {
    parts = parts.filter(p => p);
    if (!parts.length) return null;
    return {norm: Math.sqrt(parts.reduce((a, p) => a + p.norm * p.norm, 0)),
            max: Math.max(...parts.map(p => p.max)),
            nonfinite: parts.reduce((a, p) => a + p.nonfinite, 0),
            size: parts.reduce((a, p) => a + p.size, 0),
            value: parts.length === 1 ? parts[0].value : null};
  }
  function fmt(x) {
    if (x && (Math.abs(x) < 1e-3 || Math.abs(x) >= 1e4)) {
      const [m, e] = x.toExponential(2).split("e");
      return m + "e" + e[0] + e.slice(1).padStart(2, "0");
    }
    return String(parseFloat(x.toPrecision(4)));
  }
  function statsText(st) {
    if (!st) return "no gradient";
    let text = "|g| (L2 norm) " + fmt(st.norm) + "\nmax |g| " + fmt(st.max) + "\nelements " + st.size;
    if (st.value !== null && st.size === 1) text += "\nvalue " + fmt(st.value);
    return text + (st.nonfinite ? "\nNaN/Inf " + st.nonfinite + " of " + st.size : "\nNaN/Inf 0");
  }
  function shortText(st) {
    if (!st) return "no grad";
    return st.nonfinite ? "NaN/Inf " + st.nonfinite : "|g| " + parseFloat(st.norm.toPrecision(3));
  }

  // --- what is visible: groups collapse into one vertex, parameters stay ------------------
  const expanded = groups.map(g => DATA.depth === null || g.level <= DATA.depth);
  const chains = nodes.map(n => {
    const chain = [];
    for (let g = n.group; g >= 0; g = groups[g].parent) chain.unshift(g);
    return chain;
  });
  function repOf(i) {
    if (nodes[i].kind === "param") return "n" + i;
    for (const g of chains[i]) if (!expanded[g]) return "g" + g;
    return "n" + i;
  }
  function placeOf(id) {
    if (id[0] === "g") return groups[+id.slice(1)].parent;
    let place = -1;
    for (const g of chains[+id.slice(1)]) { if (!expanded[g]) break; place = g; }
    return place;
  }
  function visibleGraph() {
    const reps = nodes.map((_, i) => repOf(i));
    const verts = [...new Set(reps)];
    const edges = new Map();
    nodes.forEach((n, i) => n.parents.forEach((j, k) => {
      const src = reps[j], dst = reps[i];
      if (src === dst) return;
      const key = src + ">" + dst;
      if (!edges.has(key)) edges.set(key, {src: src, dst: dst, parts: []});
      edges.get(key).parts.push(n.edges[k]);
    }));
    for (const e of edges.values()) e.stats = combine(e.parts);
    return {verts: verts, edges: [...edges.values()]};
  }

  // --- sizes ----------------------------------------------------------------------------
  const measure = document.createElement("canvas").getContext("2d");
  function textWidth(text, bold) {
    measure.font = (bold ? "bold " : "") + FONT;
    return measure.measureText(text).width;
  }
  function groupLines(g) {
    const size = (g.steps ? g.steps + " steps · " : "") + g.ops + (g.ops === 1 ? " op" : " ops");
    return {title: "▸ " + g.title, size: size,
            cells: [["at inputs", shortText(g.inputs)], ["at outputs", shortText(g.outputs)]]};
  }
  function boxSize(id) {
    if (id[0] === "g") {
      const l = groupLines(groups[+id.slice(1)]);
      const cell = Math.max(...l.cells.flat().map(t => textWidth(t, false))) + 12;
      return [Math.max(textWidth(l.title, true) + 16, textWidth(l.size) + 16, 2 * cell), 4 * LINE_H + 14];
    }
    const lines = nodes[+id.slice(1)].lines;
    const w = Math.max(...lines.map((t, k) => textWidth(t, k === 0)));
    return [Math.max(w + 18, 40), lines.length * LINE_H + 10];
  }

  // --- layout: layered, left to right, each expanded group laid out as one block ---------
  function layout(graph) {
    const children = new Map(), chainOf = new Map();
    const add = (block, item) => {
      if (!children.has(block)) children.set(block, new Set());
      children.get(block).add(item);
    };
    for (const id of graph.verts) {
      const chain = [];
      for (let g = placeOf(id); g >= 0; g = groups[g].parent) chain.push(g);
      chainOf.set(id, chain);
      add(chain.length ? chain[0] : -1, id);
      chain.forEach((g, k) => add(k + 1 < chain.length ? chain[k + 1] : -1, "c" + g));
    }
    function itemIn(block, id) {
      const chain = chainOf.get(id);
      if (block === -1) return chain.length ? "c" + chain[chain.length - 1] : id;
      const k = chain.indexOf(block);
      return k < 0 ? null : k === 0 ? id : "c" + chain[k - 1];
    }
    function block(key) {
      const items = [...(children.get(key) || [])], size = new Map(), inner = new Map();
      for (const item of items) {
        if (item[0] === "c") {
          const sub = block(+item.slice(1));
          inner.set(item, sub);
          const title = textWidth("▾ " + groups[+item.slice(1)].label, true) + 24;
          size.set(item, [Math.max(sub.w + 2 * PAD, title), sub.h + TITLE_H + 2 * PAD]);
        } else size.set(item, boxSize(item));
      }
      const succ = new Map(items.map(it => [it, new Set()]));
      const pred = new Map(items.map(it => [it, new Set()]));
      for (const e of graph.edges) {
        const a = itemIn(key, e.src), b = itemIn(key, e.dst);
        if (a && b && a !== b) { succ.get(a).add(b); pred.get(b).add(a); }
      }
      return Object.assign(layered(items, size, succ, pred), {items: items, size: size, inner: inner});
    }
    return block(-1);
  }

  function topoOrder(items, succ, pred) {
    const indegree = new Map(items.map(it => [it, pred.get(it).size]));
    const done = new Set(), order = [];
    while (order.length < items.length) {
      // the first item free of inputs; in a cycle, the first remaining item breaks it
      let next = items.find(it => !done.has(it) && indegree.get(it) === 0);
      if (next === undefined) next = items.find(it => !done.has(it));
      done.add(next);
      order.push(next);
      for (const s of succ.get(next)) indegree.set(s, indegree.get(s) - 1);
    }
    return order;
  }

  function layered(items, size, succ, pred) {
    const order = topoOrder(items, succ, pred), index = new Map(order.map((it, k) => [it, k]));
    const rank = new Map();
    for (const it of order) {
      let r = 0;
      for (const p of pred.get(it)) if (index.get(p) < index.get(it)) r = Math.max(r, rank.get(p) + 1);
      rank.set(it, r);
    }
    for (const it of order) {  // inputs and parameters sit just before their first consumer
      const earlier = [...pred.get(it)].filter(p => index.get(p) < index.get(it));
      if (!earlier.length && succ.get(it).size)
        rank.set(it, Math.max(0, Math.min(...[...succ.get(it)].map(s => rank.get(s))) - 1));
    }
    const layers = [];
    for (const it of order) (layers[rank.get(it)] = layers[rank.get(it)] || []).push(it);
    const layerList = layers.filter(l => l);
    orderLayers(layerList, succ, pred);
    return coordinates(layerList, size, succ, pred);
  }

  function orderLayers(layers, succ, pred) {
    const where = new Map();
    const mark = () => layers.forEach(l => l.forEach((it, k) => where.set(it, (k + 0.5) / l.length)));
    mark();
    for (let sweep = 0; sweep < 4; sweep++) {
      const down = sweep % 2 === 0;
      const seq = down ? layers.slice(1) : layers.slice(0, -1).reverse();
      for (const layer of seq) {
        const key = new Map(layer.map(it => {
          const near = [...(down ? pred : succ).get(it)].filter(n => where.has(n));
          return [it, near.length ? near.reduce((a, n) => a + where.get(n), 0) / near.length : where.get(it)];
        }));
        layer.sort((a, b) => key.get(a) - key.get(b));
        layer.forEach((it, k) => where.set(it, (k + 0.5) / layer.length));
      }
    }
  }

  function coordinates(layers, size, succ, pred) {
    const pos = new Map(), left = [], widths = [];
    let x = 0;
    for (const layer of layers) {
      const width = Math.max(...layer.map(it => size.get(it)[0]));
      let y = 0;
      for (const it of layer) {
        pos.set(it, {x: x + (width - size.get(it)[0]) / 2, y: y});
        y += size.get(it)[1] + GAP_Y;
      }
      left.push(x);
      widths.push(width);
      x += width + GAP_X;
    }
    const centre = it => pos.get(it).y + size.get(it)[1] / 2;
    const settle = (layer, links) => {  // move towards linked items, keep order, no overlap
      const want = layer.map(it => {
        const near = [...links.get(it)].filter(n => pos.has(n));
        return near.length ? near.reduce((a, n) => a + centre(n), 0) / near.length - size.get(it)[1] / 2
          : pos.get(it).y;
      });
      let bottom = -Infinity;
      layer.forEach((it, k) => {
        const y = Math.max(want[k], bottom + GAP_Y);
        pos.get(it).y = y;
        bottom = y + size.get(it)[1];
      });
    };
    layers.forEach(layer => settle(layer, pred));
    layers.slice().reverse().forEach(layer => settle(layer, new Map(layer.map(it =>
      [it, pred.get(it).size ? new Set() : succ.get(it)]))));
    return wrap(layers, size, pos, left, widths);
  }

  function wrap(layers, size, pos, left, widths) {
    // a long chain (an unrolled recurrence) wraps into rows, read left to right, top down
    const rows = [[]], limit = Math.max(ROW_W, 1.5 * Math.max(...widths));
    layers.forEach((layer, k) => {
      const row = rows[rows.length - 1];
      if (row.length && left[k] + widths[k] - left[row[0]] > limit) rows.push([k]);
      else row.push(k);
    });
    let top = 0, w = 0;
    for (const row of rows) {
      const items = row.flatMap(k => layers[k]), x0 = left[row[0]], last = row[row.length - 1];
      const high = Math.min(...items.map(it => pos.get(it).y));
      const low = Math.max(...items.map(it => pos.get(it).y + size.get(it)[1]));
      items.forEach(it => { pos.get(it).x -= x0; pos.get(it).y += top - high; });
      top += low - high + 3 * GAP_Y;
      w = Math.max(w, left[last] + widths[last] - x0);
    }
    return {pos: pos, w: w, h: Math.max(top - 3 * GAP_Y, 0)};
  }

  // --- drawing --------------------------------------------------------------------------
  function el(tag, attrs, parent) {
    const e = document.createElementNS(SVG_NS, tag);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }
  function text(parent, x, y, content, attrs) {
    const t = el("text", Object.assign({x: x, y: y, "text-anchor": "middle"}, attrs || {}), parent);
    t.textContent = content;
    return t;
  }

  const boxes = new Map();  // vertex id or "c"+group -> {x, y, w, h}
  function place(result, ox, oy) {
    for (const item of result.items) {
      const p = result.pos.get(item), s = result.size.get(item);
      boxes.set(item, {x: ox + p.x, y: oy + p.y, w: s[0], h: s[1]});
      if (item[0] === "c") place(result.inner.get(item), ox + p.x + PAD, oy + p.y + TITLE_H + PAD);
    }
  }

  function drawCluster(id, b) {
    const g = groups[+id.slice(1)];
    const wrap = el("g", {class: "kg-cluster", "data-group": g.id, "data-title": g.title}, viewport);
    el("rect", {x: b.x, y: b.y, width: b.w, height: b.h, rx: 6, fill: g.kind === "step" ? "#fafafa" : "#efefef",
                stroke: g.kind === "step" ? "#bbbbbb" : "#999999"}, wrap);
    return () => drawClusterTitle(g, b);  // drawn after the edges, so none crosses it
  }

  function drawClusterTitle(g, b) {
    const title = el("g", {class: "kg-cluster-title", "data-group": g.id, "data-title": g.title}, viewport);
    const label = "▾ " + g.label, fill = g.kind === "step" ? "#fafafa" : "#efefef";
    el("rect", {x: b.x, y: b.y, width: b.w, height: TITLE_H, fill: "transparent"}, title);
    el("rect", {x: b.x + 3, y: b.y + 2, width: Math.min(b.w - 6, textWidth(label, true) + 12),
                height: TITLE_H - 4, rx: 3, fill: fill}, title);
    text(title, b.x + 8, b.y + 15, label, {"text-anchor": "start"});
    title.addEventListener("click", event => { if (!dragged) toggle(g.id, event); });
    hover(title, () => "<b>" + esc(g.title) + "</b>click to collapse\n" + groupTip(g));
  }

  function drawVertex(id, b) {
    const wrap = el("g", {class: "kg-node", transform: "translate(" + b.x + "," + b.y + ")", "data-id": id}, viewport);
    if (id[0] === "g") return drawGroup(wrap, groups[+id.slice(1)], b);
    const n = nodes[+id.slice(1)];
    wrap.setAttribute("data-kind", n.kind);
    wrap.setAttribute("data-name", n.name || "");
    if (n.group >= 0) wrap.setAttribute("data-in", groups[n.group].title);
    const rect = {width: b.w, height: b.h, fill: n.colour, stroke: "#333333", rx: n.kind === "op" ? 10 : n.kind === "param" ? 0 : 4};
    if (n.kind === "param") rect["stroke-width"] = 2.5;
    if (n.kind === "constant") Object.assign(rect, {"stroke-dasharray": "4 3", stroke: "#777777"});
    el("rect", rect, wrap);
    if (n.kind === "output") el("rect", {x: 3, y: 3, width: b.w - 6, height: b.h - 6, rx: 3, fill: "none", stroke: "#333333"}, wrap);
    n.lines.forEach((line, k) => text(wrap, b.w / 2, 5 + LINE_H * (k + 1) - 3, line,
      {fill: fontOn(n.colour), class: k === 0 && (n.op || n.name) ? "kg-strong" : ""}));
    hover(wrap, () => nodeTip(n));
  }

  function drawGroup(wrap, g, b) {
    wrap.setAttribute("class", "kg-node kg-group");
    wrap.setAttribute("data-kind", "group");
    wrap.setAttribute("data-group", g.id);
    wrap.setAttribute("data-title", g.title);
    const l = groupLines(g);
    el("rect", {width: b.w, height: b.h, fill: "#eeeeee", stroke: "#444444", rx: 3}, wrap);
    text(wrap, b.w / 2, 15, l.title, {class: "kg-strong"});
    text(wrap, b.w / 2, 15 + LINE_H, l.size);
    [g.inputs, g.outputs].forEach((st, k) => {
      const colour = statsColour(st), x = k * b.w / 2, y = 2 * LINE_H + 8;
      el("rect", {x: x + 1, y: y, width: b.w / 2 - 2, height: b.h - y - 1, fill: colour}, wrap);
      l.cells[k].forEach((line, m) => text(wrap, x + b.w / 4, y + LINE_H * (m + 1) - 2, line, {fill: fontOn(colour)}));
    });
    wrap.addEventListener("click", event => { if (!dragged) toggle(g.id, event); });
    hover(wrap, () => "<b>" + esc(g.title) + "</b>click to expand\n" + groupTip(g));
  }

  function drawEdge(e) {
    const a = boxes.get(e.src), b = boxes.get(e.dst);
    let x1 = a.x + a.w, y1 = a.y + a.h / 2, x2 = b.x, y2 = b.y + b.h / 2, d;
    if (x2 >= x1 - 5) {  // left to right, as the layers go
      const dx = Math.max(30, Math.abs(x2 - x1) / 2);
      d = "M" + x1 + "," + y1 + " C" + (x1 + dx) + "," + y1 + " " + (x2 - dx) + "," + y2 + " " + x2 + "," + y2;
    } else {  // into a later row: leave from below, enter at the left from above
      x1 = a.x + a.w / 2;
      y1 = a.y + a.h;
      const dy = Math.max(40, Math.abs(y2 - y1) / 2);
      d = "M" + x1 + "," + y1 + " C" + x1 + "," + (y1 + dy) + " " + (x2 - 60) + "," + y2 + " " + x2 + "," + y2;
    }
    // no gradient: thin, light and dashed, never to be taken for the solid grey of exactly 0
    const colour = e.stats ? statsColour(e.stats) : "#b4b4b4", width = e.stats ? 2.5 : 1.2;
    const wrap = el("g", {class: "kg-edge-wrap", "data-src": e.src, "data-dst": e.dst}, viewport);
    const line = {d: d, class: "kg-edge", stroke: colour, "stroke-width": width};
    if (!e.stats) line["stroke-dasharray"] = "5 4";
    el("path", line, wrap);
    el("path", {d: "M" + x2 + "," + y2 + " l-8,-4 l0,8 z", fill: colour}, wrap);
    const hit = el("path", {d: d, class: "kg-edge-hit"}, wrap);
    hover(hit, () => "<b>gradient sent back along this edge</b>from " + esc(vertexName(e.dst)) +
      " to " + esc(vertexName(e.src)) + "\n" + statsText(e.stats));
  }

  // --- tooltips -------------------------------------------------------------------------
  function esc(s) { return String(s).replace(/[&<>"]/g, c => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;"})[c]); }
  function vertexName(id) {
    if (id[0] === "g") return groups[+id.slice(1)].title;
    const n = nodes[+id.slice(1)];
    return n.name || n.fn || n.kind;
  }
  function nodeTip(n) {
    const head = n.name || n.fn || n.kind;
    const what = n.op ? "op " + n.op + " (grad_fn " + n.fn + ")" : n.kind;
    return "<b>" + esc(head) + "</b>" + esc(what) + "\n" + esc(n.lines.filter(l => /\)|data/.test(l)).join("\n")) +
      "\ngradient at this node:\n" + statsText(n.stats);
  }
  function groupTip(g) {
    return groupLines(g).size + "\ngradient at its outputs:\n" + statsText(g.outputs) +
      "\ngradient at its inputs:\n" + statsText(g.inputs);
  }
  function hover(target, html) {
    target.addEventListener("mouseenter", event => { tip.innerHTML = html(); tip.hidden = false; moveTip(event); });
    target.addEventListener("mousemove", moveTip);
    target.addEventListener("mouseleave", () => { tip.hidden = true; });
  }
  function moveTip(event) {
    tip.style.left = Math.min(event.clientX + 14, window.innerWidth - tip.offsetWidth - 4) + "px";
    tip.style.top = Math.min(event.clientY + 14, window.innerHeight - tip.offsetHeight - 4) + "px";
  }

  // --- render, expand and collapse ------------------------------------------------------
  let size = {w: 0, h: 0};
  function render() {
    const graph = visibleGraph(), result = layout(graph);
    boxes.clear();
    place(result, 0, 0);
    size = {w: result.w, h: result.h};
    viewport.textContent = "";
    tip.hidden = true;
    const titles = [...boxes.keys()].filter(k => k[0] === "c").map(k => drawCluster(k, boxes.get(k)));
    graph.edges.forEach(drawEdge);
    graph.verts.forEach(id => drawVertex(id, boxes.get(id)));
    titles.forEach(draw => draw());
    search();
  }
  function toggle(groupId, event) {
    const before = screenOf(groupId);
    expanded[groupId] = !expanded[groupId];
    if (!expanded[groupId]) groups.forEach((g, k) => { if (inside(k, groupId)) expanded[k] = false; });
    render();
    const after = screenOf(groupId);  // keep the box where it was under the pointer
    if (before && after) { view.x += before.x - after.x; view.y += before.y - after.y; apply(); }
    if (event) event.stopPropagation();
  }
  function inside(k, ancestor) {
    for (let g = groups[k].parent; g >= 0; g = groups[g].parent) if (g === ancestor) return true;
    return false;
  }
  function screenOf(groupId) {
    const b = boxes.get("g" + groupId) || boxes.get("c" + groupId);
    return b ? {x: view.x + b.x * view.k, y: view.y + b.y * view.k} : null;
  }

  // --- pan and zoom ---------------------------------------------------------------------
  const view = {x: 20, y: 20, k: 1};
  let drag = null, dragged = false;
  function apply() { viewport.setAttribute("transform", "translate(" + view.x + "," + view.y + ") scale(" + view.k + ")"); }
  function fit() {
    const W = svg.clientWidth, H = svg.clientHeight;
    view.k = Math.min(1, (W - 40) / Math.max(size.w, 1), (H - 40) / Math.max(size.h, 1));
    view.x = (W - size.w * view.k) / 2;
    view.y = Math.max(20, (H - size.h * view.k) / 2);
    apply();
  }
  svg.addEventListener("wheel", event => {
    event.preventDefault();
    const r = svg.getBoundingClientRect(), cx = event.clientX - r.left, cy = event.clientY - r.top;
    const k = Math.min(4, Math.max(0.03, view.k * Math.exp(-event.deltaY * 0.0015)));
    view.x = cx - (cx - view.x) * k / view.k;
    view.y = cy - (cy - view.y) * k / view.k;
    view.k = k;
    apply();
  }, {passive: false});
  svg.addEventListener("mousedown", event => { drag = {x: event.clientX, y: event.clientY, vx: view.x, vy: view.y}; dragged = false; });
  window.addEventListener("mousemove", event => {
    if (!drag) return;
    const dx = event.clientX - drag.x, dy = event.clientY - drag.y;
    if (Math.abs(dx) + Math.abs(dy) > 3) { dragged = true; svg.classList.add("kg-panning"); }
    view.x = drag.vx + dx;
    view.y = drag.vy + dy;
    if (dragged) apply();
  });
  window.addEventListener("mouseup", () => { drag = null; svg.classList.remove("kg-panning"); setTimeout(() => { dragged = false; }, 0); });

  // --- search ---------------------------------------------------------------------------
  const box = document.getElementById("kg-search"), counter = document.getElementById("kg-matches");
  let current = -1;
  function matches() {
    const q = box.value.trim().toLowerCase();
    if (!q) return [];
    return [...viewport.querySelectorAll(".kg-node[data-name]")].filter(e => e.getAttribute("data-name").toLowerCase().includes(q));
  }
  function search() {
    viewport.querySelectorAll(".kg-match, .kg-current").forEach(e => e.classList.remove("kg-match", "kg-current"));
    const found = matches();
    found.forEach(e => e.classList.add("kg-match"));
    counter.textContent = box.value.trim() ? (found.length ? found.length + (found.length === 1 ? " match" : " matches") : "no match") : "";
    return found;
  }
  box.addEventListener("input", () => { current = -1; search(); });
  box.addEventListener("keydown", event => {
    if (event.key !== "Enter") return;
    const found = search();
    if (!found.length) return;
    current = (current + 1) % found.length;
    found[current].classList.add("kg-current");
    const b = boxes.get(found[current].getAttribute("data-id"));
    view.k = Math.max(view.k, 0.8);
    view.x = svg.clientWidth / 2 - (b.x + b.w / 2) * view.k;
    view.y = svg.clientHeight / 2 - (b.y + b.h / 2) * view.k;
    apply();
  });

  // --- legend, buttons, start -----------------------------------------------------------
  const legend = document.getElementById("kg-legend");
  legend.innerHTML = "<b>" + esc(DATA.legendTitle) + "</b> " + esc(DATA.legendHint) + "<div class=\"kg-swatches\">" +
    DATA.legend.map(([c, t]) => "<span style=\"background:" + c + ";color:" + fontOn(c) + "\">" + esc(t) + "</span>").join("") +
    "</div><div class=\"kg-shapes\">" + esc(DATA.legendShapes) + "</div>";
  if (DATA.cut) {
    const cut = document.getElementById("kg-cut");
    cut.textContent = "Not in this page (too large): " + DATA.cut;
    cut.hidden = false;
  }
  document.getElementById("kg-fit").addEventListener("click", fit);
  document.getElementById("kg-expand").addEventListener("click", () => { expanded.fill(true); render(); fit(); });
  document.getElementById("kg-collapse").addEventListener("click", () => {
    groups.forEach((g, k) => { expanded[k] = g.level < 1; });
    render();
    fit();
  });
  function zoomTo(selector, fill) {  // for scripts and screenshots: fill the window with one element
    const e = viewport.querySelector(selector);
    const b = boxes.get(e.getAttribute("data-id") || "c" + e.getAttribute("data-group"));
    view.k = Math.min(2, fill * svg.clientWidth / b.w, fill * svg.clientHeight / b.h);
    view.x = svg.clientWidth / 2 - (b.x + b.w / 2) * view.k;
    view.y = svg.clientHeight / 2 - (b.y + b.h / 2) * view.k;
    apply();
  }
  window.kgPage = {colourOf: colourOf, expanded: expanded, render: render, fit: fit, zoomTo: zoomTo};
  render();
  fit();
})();
