// An accessibility audit of the current page, run in the browser by
// portal_browser.rs. Returns a list of problems (empty when the page
// passes), each a string naming the element. Checks, after WCAG 2.1 AA:
// - 1.4.3 text contrast: 4.5:1, or 3:1 for large text (24 px, or 18.66 px
//   bold), against the first opaque background up the tree;
// - 1.3.1 / 4.1.2 names: every form control has a label (or aria-label /
//   aria-labelledby naming an element with text); buttons and links have
//   text; images have alt;
// - 3.1.1 the page has a language; 2.4.2 it has a title; one h1;
// - labels point at form controls (a `for` naming anything else labels
//   nothing).
// Hidden elements (display:none, visibility:hidden, zero size, off-screen
// skip links until focused) are skipped.
const problems = [];

function describe(el) {
  let s = el.tagName.toLowerCase();
  if (el.id) s += "#" + el.id;
  if (el.className && typeof el.className === "string") s += "." + el.className.trim().split(/\s+/).join(".");
  const text = (el.textContent || "").trim().slice(0, 30);
  return text ? `${s} "${text}"` : s;
}

function parse(colour) {
  const m = colour.match(/rgba?\(([^)]+)\)/);
  if (!m) return null;
  const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
  return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
}

function luminance(c) {
  const f = (v) => {
    v /= 255;
    return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
  };
  return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
}

function ratio(a, b) {
  const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
}

// Blends `top` (possibly translucent) over `under`.
function over(top, under) {
  const a = top.a;
  return {
    r: top.r * a + under.r * (1 - a),
    g: top.g * a + under.g * (1 - a),
    b: top.b * a + under.b * (1 - a),
    a: 1,
  };
}

// The colour behind `el`: its own and its ancestors' backgrounds, blended
// from the first opaque one down; white at the root.
function background(el) {
  const layers = [];
  for (let n = el; n && n.nodeType === 1; n = n.parentElement) {
    const c = parse(getComputedStyle(n).backgroundColor);
    if (c && c.a > 0) {
      layers.push(c);
      if (c.a >= 1) break;
    }
  }
  let colour = { r: 255, g: 255, b: 255, a: 1 };
  for (let i = layers.length - 1; i >= 0; i--) colour = over(layers[i], colour);
  return colour;
}

function visible(el) {
  const style = getComputedStyle(el);
  if (style.display === "none" || style.visibility === "hidden") return false;
  const r = el.getBoundingClientRect();
  if (r.width === 0 || r.height === 0) return false;
  if (r.right < 0 || r.bottom < 0) return false;
  for (let n = el; n; n = n.parentElement) {
    const s = getComputedStyle(n);
    if (s.display === "none" || s.visibility === "hidden" || Number(s.opacity) === 0) return false;
  }
  return true;
}

function ownText(el) {
  let t = "";
  for (const n of el.childNodes) if (n.nodeType === 3) t += n.textContent;
  return t.trim();
}

// With the argument "focus": the focused element's indicator only (2.4.7,
// and 1.4.11's 3:1 for it against what is around it).
if (arguments[0] === "focus") {
  const el = document.activeElement;
  if (!el || el === document.body) return ["nothing has the focus"];
  const style = getComputedStyle(el);
  const width = parseFloat(style.outlineWidth) || 0;
  const colour = parse(style.outlineColor);
  if (style.outlineStyle === "none" || width < 2 || !colour) {
    return [`no visible focus outline on ${describe(el)}`];
  }
  const around = background(el.parentElement || el);
  const got = ratio(over(colour, around), around);
  return got < 3 ? [`focus outline ${got.toFixed(2)}:1 < 3:1 on ${describe(el)}`] : [];
}

// Contrast of every visible element that has text of its own.
for (const el of document.body.querySelectorAll("*")) {
  if (["SCRIPT", "STYLE", "NOSCRIPT", "TEMPLATE", "OPTION"].includes(el.tagName)) continue;
  if (!ownText(el) || !visible(el)) continue;
  const style = getComputedStyle(el);
  const fg = parse(style.color);
  if (!fg) continue;
  const bg = background(el);
  const size = parseFloat(style.fontSize);
  const bold = Number(style.fontWeight) >= 700;
  const large = size >= 24 || (bold && size >= 18.66);
  const need = large ? 3 : 4.5;
  const got = ratio(over(fg, bg), bg);
  if (got + 0.005 < need) {
    problems.push(`contrast ${got.toFixed(2)}:1 < ${need}:1 for ${describe(el)}`);
  }
}

function nameOf(el) {
  const label = el.getAttribute("aria-label");
  if (label && label.trim()) return label.trim();
  const by = el.getAttribute("aria-labelledby");
  if (by) {
    const t = by
      .split(/\s+/)
      .map((id) => document.getElementById(id))
      .filter(Boolean)
      .map((n) => n.textContent.trim())
      .join(" ");
    if (t) return t;
  }
  if (el.labels && el.labels.length) {
    const t = Array.from(el.labels).map((l) => l.textContent.trim()).join(" ");
    if (t) return t;
  }
  return (el.getAttribute("title") || "").trim();
}

// Form controls need a name.
for (const el of document.querySelectorAll("input, select, textarea")) {
  const type = (el.getAttribute("type") || "").toLowerCase();
  if (["hidden", "submit", "button", "reset"].includes(type)) continue;
  if (!nameOf(el)) problems.push(`no label for ${describe(el)}`);
}
// Groups of checkboxes: named too.
for (const el of document.querySelectorAll("[role=group], fieldset")) {
  const legend = el.tagName === "FIELDSET" && el.querySelector("legend");
  if (!nameOf(el) && !(legend && legend.textContent.trim())) {
    problems.push(`no name for the group ${describe(el)}`);
  }
}
// A label's `for` must name a form control.
for (const l of document.querySelectorAll("label[for]")) {
  const target = document.getElementById(l.htmlFor);
  if (!target || !["INPUT", "SELECT", "TEXTAREA", "METER", "OUTPUT", "PROGRESS", "BUTTON"].includes(target.tagName)) {
    problems.push(`label for "${l.htmlFor}" labels nothing`);
  }
}
// Buttons and links say what they do.
for (const el of document.querySelectorAll("button, a[href]")) {
  if (!visible(el) && !el.classList.contains("skip")) continue;
  const text = (el.textContent || "").trim() || nameOf(el) ||
    Array.from(el.querySelectorAll("img[alt]")).map((i) => i.alt).join(" ").trim();
  if (!text) problems.push(`no text for ${describe(el)}`);
}
for (const img of document.querySelectorAll("img")) {
  if (!img.hasAttribute("alt")) problems.push(`no alt for ${describe(img)} ${img.src}`);
}
if (!document.documentElement.lang) problems.push("the page has no lang");
if (!document.title.trim()) problems.push("the page has no title");
const h1s = document.querySelectorAll("h1").length;
if (h1s !== 1) problems.push(`${h1s} h1 elements (one expected)`);
return problems;
