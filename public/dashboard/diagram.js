// The order state machine (docs/design.md §2) drawn once as SVG: a box per state with its live count,
// an arrow per legal transition. A transition flashes its arrow and the state it enters.

const NS = 'http://www.w3.org/2000/svg';

const STATES = [
  { id: 'pending', label: 'pending', x: 170, y: 8, w: 120 },
  { id: 'awaiting_restock', label: 'awaiting_restock', x: 130, y: 116, w: 200 },
  { id: 'reserved', label: 'reserved', x: 10, y: 226, w: 130, final: true },
  { id: 'failed', label: 'failed', x: 320, y: 226, w: 130, final: true },
];
const H = 56;

/** each legal transition, with its label (one line per entry) placed beside its arrow */
const ARROWS = [
  { from: 'pending', to: 'awaiting_restock', d: 'M230,64 L230,112', label: ['supplier', 'accepted'], lx: 240, ly: 84 },
  { from: 'pending', to: 'reserved', d: 'M170,36 C90,36 70,130 75,222', label: ['stock', 'on hand'], lx: 4, ly: 74 },
  { from: 'pending', to: 'failed', d: 'M290,36 C370,36 390,130 385,222', label: ['rejected,', 'unavail-', 'able'], lx: 458, ly: 74, anchor: 'end' },
  { from: 'awaiting_restock', to: 'reserved', d: 'M165,172 L112,222', label: ['status ok'], lx: 122, ly: 196, anchor: 'end' },
  { from: 'awaiting_restock', to: 'failed', d: 'M295,172 L348,222', label: ['fail, delayed', 'out, unavail-', 'able'], lx: 340, ly: 182 },
];

const el = (tag, attrs = {}, text) => {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
};

export function createDiagram(container) {
  const svg = el('svg', {
    viewBox: '0 0 460 290',
    role: 'img',
    'aria-label': 'order states and their transitions, with the number of orders in each state',
    class: 'diagram',
  });
  const defs = el('defs');
  const marker = el('marker', {
    id: 'arrowhead',
    viewBox: '0 0 10 10',
    refX: 9,
    refY: 5,
    markerWidth: 10,
    markerHeight: 10,
    markerUnits: 'userSpaceOnUse',
    orient: 'auto-start-reverse',
  });
  marker.append(el('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrowhead' }));
  defs.append(marker);
  svg.append(defs);

  const arrows = new Map();
  for (const a of ARROWS) {
    const g = el('g', { class: 'transition', 'data-from': a.from, 'data-to': a.to });
    g.append(el('path', { d: a.d, 'marker-end': 'url(#arrowhead)' }));
    const text = el('text', { x: a.lx, y: a.ly, 'text-anchor': a.anchor ?? 'start', class: 'edge-label' });
    a.label.forEach((line, i) => text.append(el('tspan', { x: a.lx, dy: i === 0 ? 0 : 17 }, line)));
    g.append(text);
    svg.append(g);
    arrows.set(`${a.from}>${a.to}`, g);
  }

  const counts = new Map();
  const boxes = new Map();
  for (const s of STATES) {
    const g = el('g', { class: `node state-${s.id}${s.final ? ' final' : ''}`, 'data-state': s.id });
    g.append(el('rect', { x: s.x, y: s.y, width: s.w, height: H, rx: 10 }));
    if (s.final) g.append(el('rect', { x: s.x + 4, y: s.y + 4, width: s.w - 8, height: H - 8, rx: 7, class: 'inner' }));
    g.append(el('text', { x: s.x + s.w / 2, y: s.y + 22, 'text-anchor': 'middle', class: 'name' }, s.label));
    const count = el('text', { x: s.x + s.w / 2, y: s.y + 46, 'text-anchor': 'middle', class: 'count' }, '0');
    g.append(count);
    svg.append(g);
    counts.set(s.id, count);
    boxes.set(s.id, g);
  }
  container.replaceChildren(svg);

  const restart = (node, cls) => {
    node.classList.remove(cls);
    void node.getBoundingClientRect(); // restart the animation
    node.classList.add(cls);
  };

  return {
    /** counts: { pending, awaiting_restock, reserved, failed } */
    setCounts(c) {
      for (const [id, text] of counts) {
        text.textContent = String(c[id] ?? 0);
        text.closest('g').dataset.count = String(c[id] ?? 0);
      }
    },
    /** a transition happened: flash its arrow and the state entered */
    flash(from, to) {
      const arrow = arrows.get(`${from}>${to}`);
      if (arrow) restart(arrow, 'flash');
      const box = boxes.get(to);
      if (box) restart(box, 'flash');
    },
  };
}
