// chart — bar charts drawn as SVG by the page itself (no chart library), each titled and described
// for screen readers; the numbers are always in a data table beside it as well.
const NS = "http://www.w3.org/2000/svg";

function el(tag, attrs, text) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

// Horizontal bars: items [{label, value, text?}] (text, when given, is written instead of the value:
// "5未満" for a count kept from the reader), title for the chart's <title>.
export function barChart(items, title, { width = 560, bar = 26, gap = 10, labelWidth = 150 } = {}) {
  const max = Math.max(1, ...items.map((i) => i.value));
  const height = items.length * (bar + gap) + gap;
  const svg = el("svg", { viewBox: `0 0 ${width} ${height}`, width, height, role: "img", class: "chart", "aria-labelledby": "" });
  const id = `chart-${Math.random().toString(36).slice(2, 9)}`;
  svg.setAttribute("aria-labelledby", id);
  const shown = (i) => (i.text !== undefined ? i.text : String(i.value));
  svg.append(el("title", { id }, `${title}: ${items.map((i) => `${i.label} ${shown(i)}`).join("、")}`));
  items.forEach((item, n) => {
    const y = gap + n * (bar + gap);
    const w = Math.round(((width - labelWidth - 60) * item.value) / max);
    svg.append(el("text", { x: labelWidth - 8, y: y + bar * 0.7, "text-anchor": "end", class: "chart-label" }, item.label));
    // bars differ by length and by the number written at their end, not by colour
    svg.append(el("rect", { x: labelWidth, y, width: Math.max(w, 1), height: bar, class: "chart-bar" }));
    svg.append(el("text", { x: labelWidth + Math.max(w, 1) + 6, y: y + bar * 0.7, class: "chart-value" }, shown(item)));
  });
  return svg;
}
