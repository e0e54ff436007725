// kissgrad's playground page: sends the settings to the server, draws each streamed snapshot.
(function () {
  "use strict";
  const OPT = JSON.parse(document.getElementById("pg-options").textContent);
  const $ = id => document.getElementById(id);
  const NEG = [245, 147, 34], MID = [232, 234, 235], POS = [8, 119, 189];  // orange, grey, blue
  const BOX = 40, GAP = 14, TOP = 44;  // neuron size, vertical gap, room for layer heads
  const KEY = "kissgrad-playground-session";
  let session = sessionStorage.getItem(KEY);  // one per tab; a reload keeps it
  if (!session) {
    session = Math.random().toString(36).slice(2) + Date.now().toString(36);
    sessionStorage.setItem(KEY, session);
  }
  let state = null, shownConfig = "", structure = "", requestError = null, connectionError = null;

  const {colourOf, fontOn} = kgColourScale(OPT.scale);  // autograd/viz/scale.js, shared
  function heat(v) {  // a value in [-1, 1] as [r, g, b]: orange, grey-white, blue
    const t = Math.min(Math.abs(v), 1), end = v < 0 ? NEG : POS;
    return MID.map((m, k) => Math.round(m + (end[k] - m) * t));
  }
  function css(rgb) { return `rgb(${rgb[0]},${rgb[1]},${rgb[2]})`; }
  function fmt(x) {
    if (x === null || x === undefined) return "-";
    return Math.abs(x) < 1e-3 && x !== 0 ? x.toExponential(1) : x.toFixed(3);
  }
  function gradText(g) {  // a gradient norm, "-" (none yet) or the server's "NaN/Inf"
    return g === null || g === undefined ? "-" : typeof g === "string" ? g : g.toExponential(2);
  }
  function decode(b64) {
    const raw = atob(b64), out = new Float32Array(raw.length);
    for (let k = 0; k < raw.length; k++) out[k] = raw.charCodeAt(k) / 127.5 - 1;
    return out;
  }
  function paint(canvas, values, cells, light) {  // values row by row from the top left
    const small = document.createElement("canvas");
    small.width = small.height = cells;
    const ctx = small.getContext("2d"), image = ctx.createImageData(cells, cells);
    values.forEach((v, k) => {
      const c = light ? heat(v).map(x => Math.round(255 - (255 - x) * 0.6)) : heat(v);
      image.data.set([c[0], c[1], c[2], 255], 4 * k);
    });
    ctx.putImageData(image, 0, 0);
    const target = canvas.getContext("2d");
    target.imageSmoothingEnabled = true;
    target.drawImage(small, 0, 0, canvas.width, canvas.height);
  }
  const FEATURE = {  // as kissgrad/playground/datasets.py computes them
    "x1": (a, b) => a / OPT.extent, "x2": (a, b) => b / OPT.extent,
    "x1²": (a, b) => (a / OPT.extent) ** 2, "x2²": (a, b) => (b / OPT.extent) ** 2,
    "x1·x2": (a, b) => a * b / OPT.extent ** 2, "sin x1": (a, b) => Math.sin(a),
    "sin x2": (a, b) => Math.sin(b)};
  function featureValues(name, cells) {
    const out = [], e = OPT.extent;
    for (let r = 0; r < cells; r++) {
      for (let c = 0; c < cells; c++) {
        out.push(FEATURE[name]((c + 0.5) / cells * 2 * e - e, e - (r + 0.5) / cells * 2 * e));
      }
    }
    return out;
  }

  // --- talking to the server ---------------------------------------------------------
  function showError() {
    const message = requestError || connectionError || (state && state.error);
    $("pg-error").hidden = !message;
    $("pg-error").textContent = message || "";
  }
  async function post(path, body) {
    try {
      const response = await fetch(`${path}?session=${session}`, {method: "POST",
        headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)});
      const answer = await response.json();
      requestError = response.ok ? null : answer.error;
      if (response.ok) render(answer);
      else if (state) shownConfig = "";  // put the refused control back to the running value
      if (state) updateControls(state.config);
    } catch (error) {
      requestError = `could not reach the playground server: ${error}`;
    }
    showError();
  }
  const configure = changes => post("/api/config", changes);
  const act = action => post("/api/action", {action: action});
  function connect() {
    const events = new EventSource(`/api/events?session=${session}`);
    events.onmessage = event => { connectionError = null; render(JSON.parse(event.data)); };
    events.onerror = () => {  // EventSource reconnects by itself
      connectionError = "lost the connection to the playground server; retrying...";
      showError();
    };
  }

  // --- controls ------------------------------------------------------------------------
  function fillSelect(id, choices) {
    for (const choice of choices) {
      const option = document.createElement("option");
      option.value = option.textContent = choice;
      $(id).appendChild(option);
    }
  }
  function readControl(input) {
    if (input.type === "number" || input.type === "range") {
      return input.value.trim() === "" ? input.value : Number(input.value);
    }
    return input.value;
  }
  function buildControls() {
    fillSelect("pg-optimizer", OPT.optimizers);
    fillSelect("pg-activation", OPT.activations);
    fillSelect("pg-reg", OPT.regularizations);
    for (const input of document.querySelectorAll("[data-key]")) {
      input.addEventListener("change", () => configure({[input.dataset.key]: readControl(input)}));
    }
    for (const id of ["pg-ratio", "pg-noise", "pg-points"]) {
      $(id).addEventListener("input", () => rangeTexts(readConfigFromRanges()));
    }
    for (const name of OPT.datasets) {
      const button = document.createElement("button");
      button.type = "button";
      button.dataset.dataset = name;
      button.textContent = name;
      button.addEventListener("click", () => configure({dataset: name}));
      $("pg-datasets").appendChild(button);
    }
    $("pg-play").addEventListener("click", () => act(state && state.playing ? "pause" : "play"));
    $("pg-step").addEventListener("click", () => act("step"));
    $("pg-reset").addEventListener("click", () => act("reset"));
    $("pg-reseed").addEventListener("click", () => act("reseed"));
    $("pg-add-layer").addEventListener("click",
      () => configure({hidden: state.config.hidden.concat([2])}));
    $("pg-remove-layer").addEventListener("click",
      () => configure({hidden: state.config.hidden.slice(0, -1)}));
    $("pg-grad").addEventListener("change", () => state && render(state));
    $("pg-show-test").addEventListener("change", () => state && render(state));
    buildLegend();
  }
  function readConfigFromRanges() {
    return {train_ratio: Number($("pg-ratio").value), noise: Number($("pg-noise").value),
            points: Number($("pg-points").value)};
  }
  function rangeTexts(c) {
    $("pg-ratio-text").textContent = `${Math.round(c.train_ratio * 100)}%`;
    $("pg-noise-text").textContent = c.noise.toFixed(2);
    $("pg-points-text").textContent = c.points;
  }
  function updateControls(config) {
    const text = JSON.stringify(config);
    if (text === shownConfig) return;  // leave a control alone while nothing changed
    shownConfig = text;
    for (const input of document.querySelectorAll("[data-key]")) {
      input.value = config[input.dataset.key];
    }
    rangeTexts(config);
    for (const button of document.querySelectorAll("#pg-datasets button")) {
      button.classList.toggle("pg-chosen", button.dataset.dataset === config.dataset);
    }
    $("pg-layer-count").textContent =
      `${config.hidden.length} hidden layer${config.hidden.length === 1 ? "" : "s"}`;
  }
  function buildLegend() {
    const legend = $("pg-legend");
    legend.innerHTML = `<b>${OPT.legendTitle}</b> · ${OPT.legendHint}<div class="pg-swatches"></div>`;
    for (const [colour, text] of OPT.legend) {
      const swatch = document.createElement("span");
      swatch.style.background = colour;
      swatch.textContent = text;
      swatch.style.color = fontOn(colour);
      legend.querySelector(".pg-swatches").appendChild(swatch);
    }
  }

  // --- the network -----------------------------------------------------------------------
  function columns(config) {  // [{x, count, kind}] from the features to the output
    const width = Math.max($("pg-net").clientWidth, 480), hidden = config.hidden;
    const first = 80, last = width - BOX - 44, step = (last - first) / (hidden.length + 1);
    return [{x: first, count: OPT.features.length, kind: "feature"}]
      .concat(hidden.map((n, k) => ({x: first + step * (k + 1), count: n, kind: "hidden"})))
      .concat([{x: last, count: 1, kind: "output"}]);
  }
  const yOf = j => TOP + j * (BOX + GAP);
  function neuronBox(cols, l, j) { return {x: cols[l].x, y: yOf(j)}; }
  function build(config) {
    const net = $("pg-net"), cols = columns(config);
    for (const old of net.querySelectorAll(".pg-neuron, .pg-layer-head, .pg-layer-norm")) old.remove();
    const tallest = Math.max(...cols.map(c => c.count));
    net.style.height = `${yOf(tallest) + 30}px`;
    cols.forEach((col, l) => {
      for (let j = 0; j < col.count; j++) {
        const box = document.createElement("div"), canvas = document.createElement("canvas");
        box.className = `pg-neuron pg-${col.kind}`;
        box.dataset.layer = l;
        box.dataset.index = j;
        box.style.left = `${col.x}px`;
        box.style.top = `${yOf(j)}px`;
        canvas.width = canvas.height = col.kind === "feature" ? 20 : state.thumb;
        box.appendChild(canvas);
        if (col.kind === "feature") {
          const name = OPT.features[j], label = document.createElement("span");
          label.className = "pg-feature-name";
          label.textContent = name;
          box.appendChild(label);
          box.dataset.feature = name;
          box.classList.toggle("pg-off", !config.features.includes(name));
          paint(canvas, featureValues(name, 20), 20);
          box.addEventListener("click", () => toggleFeature(name));
        }
        net.appendChild(box);
      }
      if (col.kind === "hidden") net.appendChild(layerHead(config, l - 1, col.x));
      if (col.kind !== "feature") {
        const norm = document.createElement("div");
        norm.className = "pg-layer-norm";
        norm.dataset.layer = l;
        norm.style.left = `${col.x}px`;
        norm.style.top = `${yOf(col.count) - 6}px`;
        net.appendChild(norm);
      }
    });
  }
  function layerHead(config, k, x) {
    const head = document.createElement("div"), n = config.hidden[k];
    head.className = "pg-layer-head";
    head.style.left = `${x}px`;
    head.style.top = "0px";
    head.innerHTML = `<button type="button" title="add a neuron">+</button>
      <button type="button" title="remove a neuron">&minus;</button><br>${n} neuron${n === 1 ? "" : "s"}`;
    const [add, remove] = head.querySelectorAll("button");
    const resize = delta => configure({hidden: config.hidden.map((m, i) => i === k ? m + delta : m)});
    add.addEventListener("click", () => resize(1));
    remove.addEventListener("click", () => resize(-1));
    return head;
  }
  function toggleFeature(name) {
    const on = state.config.features;
    configure({features: on.includes(name) ? on.filter(f => f !== name) : on.concat([name])});
  }
  function edgePath(a, b) {
    const x1 = a.x + BOX + 2, y1 = a.y + BOX / 2 + 2, x2 = b.x - 2, y2 = b.y + BOX / 2 + 2;
    const mid = (x1 + x2) / 2;
    return `M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}`;
  }
  function drawEdges(s, cols, grads) {
    const active = s.config.features.map(f => OPT.features.indexOf(f));
    let svg = "";
    s.weights.forEach((matrix, l) => {
      matrix.forEach((row, j) => row.forEach((w, i) => {
        const from = neuronBox(cols, l, l === 0 ? active[i] : i), to = neuronBox(cols, l + 1, j);
        const g = s.edgeGrads ? s.edgeGrads[l][j][i] : null;
        const colour = grads ? colourOf(g) : css(w >= 0 ? POS : NEG);
        const width = grads ? 2.2 : Math.min(0.6 + Math.abs(w) * 2.2, 7);
        svg += `<path class="pg-edge" data-layer="${l}" d="${edgePath(from, to)}" stroke="${colour}" ` +
          `stroke-width="${width.toFixed(2)}" stroke-opacity="${grads ? 1 : 0.75}">` +
          `<title>weight ${w.toFixed(4)}, |dL/dw| last step ${gradText(g)}` +
          `</title></path>`;
      }));
    });
    $("pg-edges").innerHTML = svg;
  }
  function drawNeurons(s, cols, grads) {
    const active = s.config.features.map(f => OPT.features.indexOf(f));
    const neurons = document.querySelectorAll("#pg-net .pg-neuron");
    for (const box of neurons) {
      const l = Number(box.dataset.layer), j = Number(box.dataset.index);
      const k = l === 0 ? active.indexOf(j) : j;  // the column of this neuron in the snapshot
      const g = s.neuronGrads && k >= 0 ? s.neuronGrads[l][k] : null;
      if (l > 0) paint(box.firstChild, decode(s.neurons[l][j]), s.thumb);
      box.style.borderColor = grads && k >= 0 ? colourOf(g) : "";
      box.dataset.grad = g === null ? "" : g;
      box.title = l === 0 ? `${OPT.features[j]}${k < 0 ? " (off: click to use it)" : ""}`
        : `${l === cols.length - 1 ? "output" : `layer ${l}, neuron ${j + 1}`}`;
      if (k >= 0) box.title += `\n|dL/dz| last step (L2 over the batch): ${gradText(g)}`;
    }
    for (const norm of document.querySelectorAll(".pg-layer-norm")) {
      const l = Number(norm.dataset.layer), g = s.layerGrads ? s.layerGrads[l - 1] : null;
      norm.textContent = grads && g !== null ? `|dL/dW| ${gradText(g)}` : "";
      const shown = grads && g !== null;
      norm.style.background = shown ? colourOf(g) : "";
      norm.style.color = shown ? fontOn(colourOf(g)) : "";
    }
  }

  // --- the output ------------------------------------------------------------------------
  function drawCurve(s) {
    const canvas = $("pg-curve"), ctx = canvas.getContext("2d"), h = s.history;
    const w = canvas.width, height = canvas.height;
    ctx.clearRect(0, 0, w, height);
    const top = Math.max(1e-9, ...h.map(r => Math.max(r[1], r[2])).filter(isFinite));
    const last = Math.max(1, h[h.length - 1][0]);
    for (const [column, colour] of [[1, "#999999"], [2, "#000000"]]) {
      ctx.beginPath();
      h.forEach((row, k) => {
        const x = row[0] / last * (w - 4) + 2, y = height - 2 - row[column] / top * (height - 16);
        if (k) ctx.lineTo(x, y); else ctx.moveTo(x, y);
      });
      ctx.strokeStyle = colour;
      ctx.lineWidth = 1.5;
      ctx.stroke();
    }
    ctx.fillStyle = "#666666";
    ctx.font = "10px sans-serif";
    ctx.fillText(`${fmt(top)} · test black, train grey`, 4, 10);
  }
  function drawHeatmap(s) {
    const canvas = $("pg-heatmap"), ctx = canvas.getContext("2d"), e = OPT.extent;
    paint(canvas, decode(s.output), s.grid, true);  // lighter, so that the points stand out
    const points = [[s.train, "#ffffff"]];
    if ($("pg-show-test").checked) points.push([s.test, "#000000"]);
    for (const [set, edge] of points) {
      for (const [x1, x2, label] of set) {
        const x = (x1 + e) / (2 * e) * canvas.width, y = (e - x2) / (2 * e) * canvas.height;
        ctx.beginPath();
        ctx.arc(x, y, 3.2, 0, 2 * Math.PI);
        ctx.fillStyle = css(heat(s.classification ? 2 * label - 1 : label));
        ctx.fill();
        ctx.strokeStyle = edge;
        ctx.lineWidth = 1;
        ctx.stroke();
      }
    }
  }
  function render(s) {
    state = s;
    const grads = $("pg-grad").checked;
    const shape = JSON.stringify([s.config.features, s.config.hidden, $("pg-net").clientWidth]);
    if (shape !== structure) {
      structure = shape;
      build(s.config);
    }
    updateControls(s.config);
    $("pg-epoch").textContent = s.epoch;
    $("pg-test-loss").textContent = fmt(s.testLoss);
    $("pg-train-loss").textContent = fmt(s.trainLoss);
    $("pg-play").innerHTML = s.playing ? "&#10074;&#10074; pause" : "&#x25B6; play";
    $("pg-play").classList.toggle("pg-playing", s.playing);
    $("pg-network").classList.toggle("pg-grads", grads);
    $("pg-legend").hidden = !grads;
    const cols = columns(s.config);
    drawEdges(s, cols, grads);
    drawNeurons(s, cols, grads);
    drawCurve(s);
    drawHeatmap(s);
    showError();
  }

  buildControls();
  connect();
  window.addEventListener("resize", () => state && render(state));
  window.kgPlayground = {colourOf: colourOf, state: () => state, session: session};
})();
