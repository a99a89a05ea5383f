// The order state machine (docs/design.md §2) drawn once as SVG: a box per state with its live count,
// an arrow per legal transition. A transition flashes its arrow and the state it enters.

const NS = 'http://www.w3.org/2000/svg';

const STATES = [
  { id: 'pending', label: 'pending', x: 170, y: 8, w: 120 },
  { id: 'awaiting_restock', label: 'awaiting_restock', x: 100, y: 116, w: 190 },
  { id: 'cancelling', label: 'cancelling', x: 320, y: 116, w: 130 },
  { id: 'reserved', label: 'reserved', x: 10, y: 226, w: 130 },
  { id: 'failed', label: 'failed', x: 180, y: 226, w: 110, final: true },
  { id: 'fulfilled', label: 'fulfilled', x: 10, y: 336, w: 120, final: true },
  { id: 'expired', label: 'expired', x: 160, y: 336, w: 110, final: true },
  { id: 'cancelled', label: 'cancelled', x: 320, y: 336, w: 130, final: true },
];
const H = 56;

/** each legal transition, with its label (one line per entry) placed beside its arrow */
const ARROWS = [
  { from: 'pending', to: 'awaiting_restock', d: 'M215,64 L205,112', label: ['accepted'], lx: 214, ly: 94 },
  { from: 'pending', to: 'reserved', d: 'M170,36 C90,36 70,130 75,222', label: ['stock', 'on hand'], lx: 4, ly: 74 },
  { from: 'pending', to: 'failed', d: 'M290,50 C305,80 305,190 262,222', label: ['rejected'], lx: 298, ly: 208 },
  { from: 'pending', to: 'cancelling', d: 'M290,30 C360,30 385,60 385,112', label: ['cancel'], lx: 394, ly: 62 },
  { from: 'pending', to: 'cancelled', d: 'M290,22 C455,22 458,300 452,336', label: [], lx: 0, ly: 0 },
  { from: 'awaiting_restock', to: 'reserved', d: 'M140,172 L100,222', label: ['ok'], lx: 112, ly: 200, anchor: 'end' },
  { from: 'awaiting_restock', to: 'failed', d: 'M225,172 L232,222', label: ['fail'], lx: 240, ly: 202 },
  { from: 'awaiting_restock', to: 'cancelling', d: 'M290,144 L316,144', label: [], lx: 0, ly: 0 },
  { from: 'cancelling', to: 'cancelled', d: 'M385,172 L385,332', label: ['supplier', 'cancelled'], lx: 378, ly: 250, anchor: 'end' },
  { from: 'reserved', to: 'fulfilled', d: 'M70,282 L70,332', label: ['fulfil'], lx: 78, ly: 314 },
  { from: 'reserved', to: 'expired', d: 'M120,282 L200,332', label: ['TTL'], lx: 164, ly: 302 },
  { from: 'reserved', to: 'cancelled', d: 'M140,262 C250,262 300,300 316,346', label: ['cancel'], lx: 236, ly: 294 },
];

const el = (tag, attrs = {}, text) => {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
};

export function createDiagram(container) {
  const svg = el('svg', {
    viewBox: '0 0 460 400',
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
    /** counts: one per state, e.g. { pending, awaiting_restock, reserved, failed, … } */
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
