// The counterexample of `warehouse explore … --dashboard`, replayed step by step (GET
// /api/explore/story; docs/teaching.md, "Break it to learn it"): one column per lane (an order of
// the scenario, or the stock), the steps appearing one at a time in the order they happened, the
// stock each lane saw, the crash as a line across the lanes, the step that broke the rule
// highlighted and the story's check badge turning red there, with the one sentence that says why.
// A server started any other way has no story, and this section stays hidden.
import { get } from './api.js';
import { $, fill, h } from './dom.js';

export async function setupStory() {
  const { story } = await get('/api/explore/story');
  if (!story) return;
  const section = $('#story');
  section.hidden = false;
  document.body.classList.add('with-story');
  $('#story-title').textContent = `Break it to learn it: ${story.scenario}`;
  $('#story-variant').textContent = `${story.variant} · ${story.file} · replay ${story.replay}`;
  const lanes = $('#story-lanes');
  lanes.style.setProperty('--lanes', String(story.lanes.length));
  const column = (lane) => story.lanes.indexOf(lane) + 1;

  let shown = 0;
  const cards = [];
  // placed through the CSSOM: the page's Content-Security-Policy refuses style attributes
  const place = (el, col, r) => {
    el.style.gridColumn = col;
    el.style.gridRow = String(r);
    return el;
  };
  const heads = story.lanes.map((lane, i) => place(h('div', { class: 'lane-head' }, lane === 'stock' ? 'stock' : `order ${lane}`), String(i + 1), 1));
  let row = 2;
  const rows = [];
  for (const s of story.steps) {
    const card = h(
      'div',
      {
        class: `step${s.n === story.breaking ? ' breaking' : ''}`,
        dataset: { n: s.n, lane: s.lane, process: s.process },
        hidden: true,
      },
      h('span', { class: 'n' }, `${s.n}.`),
      ' ',
      s.text,
      s.saw === null ? null : h('span', { class: 'saw' }, `saw ${s.saw} on hand`),
      s.wrote === null ? null : h('span', { class: 'saw' }, `left ${s.wrote} on hand`),
      s.process > 1 ? h('span', { class: 'process' }, `process ${s.process}`) : null,
    );
    place(card, String(column(s.lane)), row);
    cards.push(card);
    rows.push(card);
    row++;
    if (story.crashAfter === s.n) {
      const crash = place(
        h(
          'div',
          { class: 'crash', dataset: { after: s.n }, hidden: true },
          '✗ crash: the process dies; what it had not committed is lost. A new runner waits for the leases to expire and takes the jobs (process 2).',
        ),
        '1 / -1',
        row,
      );
      card.crash = crash;
      rows.push(crash);
      row++;
    }
  }
  fill(lanes, heads, rows);

  const badge = $('#story-check');
  const why = $('#story-why');
  const position = $('#story-position');
  function draw() {
    cards.forEach((card, i) => {
      card.hidden = i >= shown;
      card.classList.toggle('latest', i === shown - 1);
      if (card.crash) card.crash.hidden = i >= shown;
    });
    const broken = shown >= story.breaking;
    badge.dataset.check = broken ? 'broken' : 'ok';
    badge.textContent = broken ? `✗ ${story.invariant}` : 'check ✓ every rule holds so far';
    why.hidden = !broken;
    position.textContent = `step ${shown} of ${story.steps.length}`;
    $('#story-back').disabled = shown === 0;
    $('#story-step').disabled = shown === cards.length;
    cards[shown - 1]?.scrollIntoView({ block: 'nearest' });
  }
  fill(why, h('b', {}, 'why: '), story.why, h('span', { class: 'rule' }, ` (${story.message})`));
  $('#story-step').addEventListener('click', () => {
    shown = Math.min(cards.length, shown + 1);
    draw();
  });
  $('#story-back').addEventListener('click', () => {
    shown = Math.max(0, shown - 1);
    draw();
  });
  $('#story-all').addEventListener('click', () => {
    shown = cards.length;
    draw();
  });
  $('#story-restart').addEventListener('click', () => {
    shown = 0;
    draw();
  });
  draw();
}
