/* The gradient colour scale of autograd/viz/scale.py (colour_of, font_on) for the pages
   kissgrad writes: the graph page and the playground put this before their own script and
   call kgColourScale with the scale's fields (scale.page_fields). */
function kgColourScale(s) {
  function colourOf(norm) {
    if (norm === null || norm === undefined) return s.none;
    if (!isFinite(norm)) return s.nonfinite;
    if (norm <= 0) return s.zero;
    const p = s.palette, n = p.length - 1;
    const level = Math.min(Math.max(Math.log10(norm), s.low), s.high);
    const t = (level - s.low) / (s.high - s.low) * n;
    const i = Math.min(Math.floor(t), n - 1);
    let out = "#";
    for (const k of [1, 3, 5]) {
      const a = parseInt(p[i].slice(k, k + 2), 16), b = parseInt(p[i + 1].slice(k, k + 2), 16);
      out += Math.floor(a * (i + 1 - t) + b * (t - i) + 0.5).toString(16).padStart(2, "0");
    }
    return out;
  }
  function fontOn(colour) {
    const [r, g, b] = [1, 3, 5].map(k => parseInt(colour.slice(k, k + 2), 16) / 255);
    return 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.5 ? "white" : "black";
  }
  return {colourOf: colourOf, fontOn: fontOn};
}
