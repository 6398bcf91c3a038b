// Alerts over time (#/alerts): the alert counts executions saved (options.metrics with
// options.tags), summed per tag prefix, as a chart with a data table.
//
// API used (server/alerts.go, engine/metrics.go):
//   POST /api/alert/aggregate {"ruleSetId": NAME, "tags": [..]} (scope admin)
//     → {"ruleSetId", "tags", "alerts": {ALERT: count}}; counts of the saved records whose tags START
//       with the given tags (at a tag boundary); a served ruleset without matching records answers its
//       declared alerts at 0; 404 for a name neither served nor with metrics; 400 for bad tags
//       (at most 5, each 1–64 characters, no control characters).
//   GET /api/studio/rulesets (else GET /api/rulesets) → the rulesets to choose from.
// The API has no time axis of its own: time is in the tags (the design's example: ["2026", "q1"]).
// So a chart's buckets are the next tag after a prefix: prefix [2026] with buckets q1..q4 asks
// [2026, q1], [2026, q2], … one request per bucket, plus the prefix alone for the total.
// The state is kept in the hash (#/alerts?ruleset=&tags=&period=&buckets=&chart=).

import {api, hasScope} from '../api.js';
import {h, clear, announce, scalarText} from '../ui.js';
import {problemText, ensureStyles} from './common.js';

const SVG = 'http://www.w3.org/2000/svg';
const MAX_TAGS = 5;
const MAX_BUCKETS = 31;
// Colours with at least 4.5:1 against white (they also mark the legend and the table's headers).
const PALETTE = ['#1f5fbf', '#b3261e', '#1b7a3a', '#8a4b00', '#6b3fa0', '#00707a', '#a3166b', '#4d4d4d', '#5a6b00', '#9c3d00'];

const PERIODS = {
  quarters: {label: 'Quarters (q1–q4)', buckets: () => ['q1', 'q2', 'q3', 'q4']},
  months: {label: 'Months (01–12)', buckets: () => Array.from({length: 12}, (_, i) => String(i + 1).padStart(2, '0'))},
  years: {label: 'Years (the last five)', buckets: () => { const y = new Date().getFullYear(); return [y - 4, y - 3, y - 2, y - 1, y].map(String); }},
  days: {label: 'Days of a month (01–31)', buckets: () => Array.from({length: 31}, (_, i) => String(i + 1).padStart(2, '0'))},
  custom: {label: 'Custom (the tags you list)', buckets: null},
};


function splitTags(s) {
  return String(s || '').split(',').map((x) => x.trim()).filter((x) => x !== '');
}

function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== null && v !== undefined && v !== false) el.setAttribute(k, String(v));
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

// scale picks a tick step (1, 2, 5 × 10^n) with at most six steps, and the axis top: counts are
// whole numbers, so the ticks are too.
function scale(max) {
  const m = Math.max(1, max);
  let step = 1;
  for (let p = 1; ; p *= 10) {
    const c = [1, 2, 5].map((k) => k * p).find((st) => Math.ceil(m / st) <= 6);
    if (c) { step = c; break; }
  }
  return {step, top: Math.ceil(m / step) * step};
}

// Each series has a colour, a dash pattern and a marker, so that lines on top of each other and
// colour-blind readers can still tell them apart.
const DASHES = [null, '7 4', '2 3', '10 3 2 3', '4 4', '1 4'];
const MARKERS = ['circle', 'square', 'triangle', 'diamond'];

function marker(kind, x, y, color, r = 4.5) {
  switch (kind) {
    case 'square': return svg('rect', {x: x - r, y: y - r, width: 2 * r, height: 2 * r, fill: color});
    case 'triangle': return svg('polygon', {points: `${x},${y - r - 1} ${x + r + 1},${y + r} ${x - r - 1},${y + r}`, fill: color});
    case 'diamond': return svg('polygon', {points: `${x},${y - r - 1} ${x + r + 1},${y} ${x},${y + r + 1} ${x - r - 1},${y}`, fill: color});
    default: return svg('circle', {cx: x, cy: y, r, fill: color});
  }
}


export async function render(container, ctx) {
  ensureStyles();
  clear(container);
  const q = (ctx && ctx.params && ctx.params.query instanceof URLSearchParams) ? ctx.params.query
    : new URLSearchParams((location.hash.split('?')[1]) || '');
  const st = {
    ruleset: q.get('ruleset') || '',
    tags: q.get('tags') || '',
    period: PERIODS[q.get('period')] ? q.get('period') : 'quarters',
    buckets: q.get('buckets') || '',
    chart: q.get('chart') === 'lines' ? 'lines' : 'bars',
  };
  if (!st.buckets && PERIODS[st.period].buckets) st.buckets = PERIODS[st.period].buckets().join(', ');

  const root = h('section', {class: 'alerts-view'});
  container.append(root);
  root.append(h('h1', {}, 'Alerts over time'));
  root.append(h('p', {class: 'muted'},
    'How often each alert fired, from the counts executions save with options.metrics under their tags. ',
    'Time lives in the tags (for example ["2026", "q1"]): pick the tags that come before the period, and the period tags to compare.'));

  if (typeof hasScope === 'function' && !hasScope('admin')) {
    root.append(h('div', {class: 'notice notice-warning', role: 'status', 'data-testid': 'alerts-needs-admin'},
      'The alert counts are read with POST /api/alert/aggregate, which needs a key with the scope admin; this key does not have it.'));
  }

  // ---- the selectors ----
  const rsSelect = h('select', {id: 'al-ruleset', 'data-testid': 'alerts-ruleset', required: true});
  const tagsInput = h('input', {id: 'al-tags', type: 'text', autocomplete: 'off', spellcheck: 'false', 'aria-describedby': 'al-tags-help',
    'data-testid': 'alerts-tags', value: st.tags, placeholder: 'e.g. 2026'});
  const periodSelect = h('select', {id: 'al-period', 'data-testid': 'alerts-period', 'aria-describedby': 'al-period-help'},
    Object.entries(PERIODS).map(([k, p]) => h('option', {value: k, selected: k === st.period}, p.label)));
  const bucketsInput = h('input', {id: 'al-buckets', type: 'text', autocomplete: 'off', spellcheck: 'false', 'aria-describedby': 'al-buckets-help',
    'data-testid': 'alerts-buckets', value: st.buckets});
  const chartBars = h('input', {type: 'radio', name: 'al-chart', id: 'al-chart-bars', value: 'bars', checked: st.chart === 'bars'});
  const chartLines = h('input', {type: 'radio', name: 'al-chart', id: 'al-chart-lines', value: 'lines', checked: st.chart === 'lines'});
  const formErr = h('div', {class: 'dv-form-error', role: 'alert'});
  const show = h('button', {type: 'submit', class: 'btn btn-primary', 'data-testid': 'alerts-show'}, 'Show');

  periodSelect.addEventListener('change', () => {
    const p = PERIODS[periodSelect.value];
    if (p.buckets) bucketsInput.value = p.buckets().join(', ');
    else bucketsInput.focus();
  });

  const form = h('form', {class: 'alerts-form', novalidate: true, 'aria-label': 'Choose the alerts to chart'},
    h('div', {class: 'alerts-fields'},
      h('div', {class: 'field'}, h('label', {for: 'al-ruleset'}, 'Ruleset'), rsSelect),
      h('div', {class: 'field'}, h('label', {for: 'al-tags'}, 'Tags before the period'),
        h('div', {class: 'help', id: 'al-tags-help'}, 'Comma-separated; empty for all saved runs.'), tagsInput),
      h('div', {class: 'field'}, h('label', {for: 'al-period'}, 'Period'),
        h('div', {class: 'help', id: 'al-period-help'}, 'Fills in the period tags.'), periodSelect),
      h('div', {class: 'field al-grow'}, h('label', {for: 'al-buckets'}, 'Period tags (one bar group each)'),
        h('div', {class: 'help', id: 'al-buckets-help'}, `Comma-separated, at most ${MAX_BUCKETS}; each is asked as the tags above plus this one.`), bucketsInput),
      h('fieldset', {class: 'al-chart-kind'}, h('legend', {}, 'Chart'),
        h('span', {class: 'al-radio'}, chartBars, h('label', {for: 'al-chart-bars'}, 'Bars')),
        h('span', {class: 'al-radio'}, chartLines, h('label', {for: 'al-chart-lines'}, 'Lines')))),
    formErr,
    h('div', {class: 'btn-row'}, show));
  root.append(form);
  const out = h('div', {class: 'alerts-out', 'data-testid': 'alerts-out'});
  const live = h('p', {class: 'visually-hidden', role: 'status', 'aria-live': 'polite'});
  root.append(live, out);

  // The rulesets (not libraries).
  let rulesets = [];
  try {
    let list;
    try {
      list = (await api('GET', '/api/studio/rulesets')).rulesets || [];
    } catch {
      list = (await api('GET', '/api/rulesets')).rulesets || [];
    }
    rulesets = list.filter((r) => !r.library);
  } catch (e) {
    out.append(h('div', {class: 'notice notice-error', role: 'alert'}, `Cannot list the rulesets: ${problemText(e)}`));
  }
  rsSelect.append(h('option', {value: ''}, '— choose a ruleset —'));
  for (const r of rulesets) rsSelect.append(h('option', {value: r.name, selected: r.name === st.ruleset}, r.name));
  if (st.ruleset && !rulesets.some((r) => r.name === st.ruleset)) {
    rsSelect.append(h('option', {value: st.ruleset, selected: true}, st.ruleset));
  }
  if (!st.ruleset && rulesets.length === 1) rsSelect.value = rulesets[0].name;

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    st.ruleset = rsSelect.value;
    st.tags = tagsInput.value;
    st.period = periodSelect.value;
    st.buckets = bucketsInput.value;
    st.chart = chartLines.checked ? 'lines' : 'bars';
    const qs = new URLSearchParams();
    for (const k of ['ruleset', 'tags', 'period', 'buckets', 'chart']) if (st[k]) qs.set(k, st[k]);
    // Keep the choice in the address without remounting the view.
    history.replaceState(null, '', `#/alerts?${qs}`);
    draw();
  });

  function fieldError(input, msg) {
    clear(formErr);
    for (const el of form.querySelectorAll('[aria-invalid="true"]')) el.removeAttribute('aria-invalid');
    if (!msg) return;
    formErr.append(h('p', {}, msg));
    if (input) {
      input.setAttribute('aria-invalid', 'true');
      input.focus();
    }
  }

  let seq = 0;
  async function draw() {
    const my = ++seq;
    fieldError(null, '');
    const prefix = splitTags(st.tags);
    const buckets = splitTags(st.buckets);
    if (!st.ruleset) { fieldError(rsSelect, 'Choose a ruleset.'); return; }
    if (prefix.length > MAX_TAGS - 1) { fieldError(tagsInput, `At most ${MAX_TAGS - 1} tags before the period: a metrics record has at most ${MAX_TAGS} tags.`); return; }
    const longTag = [...prefix, ...buckets].find((t) => [...t].length > 64);
    if (longTag) { fieldError(longTag && prefix.includes(longTag) ? tagsInput : bucketsInput, `The tag “${longTag.slice(0, 20)}…” is longer than 64 characters.`); return; }
    if (buckets.length === 0) { fieldError(bucketsInput, 'List at least one period tag.'); return; }
    if (buckets.length > MAX_BUCKETS) { fieldError(bucketsInput, `At most ${MAX_BUCKETS} period tags.`); return; }
    clear(out).append(h('p', {class: 'muted'}, 'Loading…'));
    const ask = (tags) => api('POST', '/api/alert/aggregate', {ruleSetId: st.ruleset, tags});
    let total;
    let series;
    try {
      [total, ...series] = await Promise.all([ask(prefix), ...buckets.map((b) => ask([...prefix, b]))]);
    } catch (e) {
      if (my !== seq) return;
      clear(out).append(h('div', {class: 'notice notice-error', role: 'alert', 'data-testid': 'alerts-error'},
        e.status === 403 ? `The alert counts need a key with the scope admin. (${problemText(e)})` : problemText(e)));
      return;
    }
    if (my !== seq || !container.isConnected) return;
    const names = [...new Set([...Object.keys(total.alerts || {}), ...series.flatMap((s) => Object.keys(s.alerts || {}))])].sort();
    const data = buckets.map((b, i) => ({bucket: b, counts: series[i].alerts || {}}));
    clear(out);
    const title = `Alerts of ${st.ruleset}${prefix.length ? ` for tags ${prefix.join(', ')}` : ''}, per ${PERIODS[st.period] && st.period !== 'custom' ? st.period.replace(/s$/, '') : 'tag'}`;
    if (names.length === 0) {
      out.append(h('p', {class: 'muted', 'data-testid': 'alerts-empty'}, `${st.ruleset} declares no alerts and no saved run raised one.`));
      live.textContent = 'No alerts';
      return;
    }
    const grand = names.reduce((n, a) => n + (total.alerts[a] || 0), 0);
    const sumBuckets = data.reduce((n, d) => n + names.reduce((m, a) => m + (d.counts[a] || 0), 0), 0);
    out.append(
      h('div', {class: 'alerts-chart-box'},
        chart(title, names, data, st.chart),
        legend(names, st.chart)),
      dataTable(title, names, data, total.alerts || {}, prefix));
    if (grand === 0) {
      out.prepend(h('div', {class: 'notice notice-info', role: 'status'},
        `No alert was counted for these tags. Executions save counts only with options.metrics: true and options.tags (e.g. ${JSON.stringify([...prefix, buckets[0]])}).`));
    } else if (sumBuckets < grand) {
      out.append(h('p', {class: 'muted'}, `${grand - sumBuckets} of the ${grand} counts under these tags are in other period tags than the ones listed (or in runs with exactly these tags).`));
    }
    announce(`Chart updated: ${names.length} alerts over ${buckets.length} periods`);
  }

  if (st.ruleset) draw();
}

function legend(names, kind) {
  return h('ul', {class: 'alerts-legend', 'aria-label': 'Legend'},
    names.map((n, i) => {
      const color = PALETTE[i % PALETTE.length];
      const sample = svg('svg', {width: 28, height: 14, viewBox: '0 0 28 14', 'aria-hidden': 'true', class: 'swatch-svg'});
      if (kind === 'lines') {
        sample.append(svg('line', {x1: 1, y1: 7, x2: 27, y2: 7, stroke: color, 'stroke-width': 2.5, 'stroke-dasharray': DASHES[i % DASHES.length]}));
        sample.append(marker(MARKERS[i % MARKERS.length], 14, 7, color, 4));
      } else {
        sample.append(svg('rect', {x: 7, y: 0, width: 14, height: 14, rx: 2, fill: color}));
      }
      return h('li', {}, sample, n);
    }));
}

function chart(title, names, data, kind) {
  const W = 760;
  const H = 340;
  const m = {top: 36, right: 16, bottom: 56, left: 56};
  const iw = W - m.left - m.right;
  const ih = H - m.top - m.bottom;
  let max = 0;
  for (const d of data) for (const n of names) max = Math.max(max, d.counts[n] || 0);
  const {step, top} = scale(max);
  const y = (v) => m.top + ih - (v / top) * ih;
  const groupW = iw / Math.max(1, data.length);
  const titleId = `al-title-${Math.random().toString(36).slice(2, 8)}`;
  const descId = `${titleId}-d`;
  const summaryText = data.map((d) => `${d.bucket}: ${names.map((n) => `${n} ${d.counts[n] || 0}`).join(', ')}`).join('; ');
  const root = svg('svg', {viewBox: `0 0 ${W} ${H}`, class: 'alerts-chart', role: 'img', 'aria-labelledby': `${titleId} ${descId}`,
    'data-testid': 'alerts-chart', preserveAspectRatio: 'xMinYMin meet'},
  svg('title', {id: titleId}, title),
  svg('desc', {id: descId}, `${kind === 'lines' ? 'Line' : 'Bar'} chart. ${summaryText}. The same numbers are in the table below.`));

  // Title on the chart.
  root.append(svg('text', {x: m.left, y: 20, class: 'chart-title'}, title));
  // Y axis: gridlines, ticks, label.
  const axis = svg('g', {class: 'axis axis-y'});
  for (let i = 0; i <= top / step; i++) {
    const v = step * i;
    const yy = y(v);
    axis.append(svg('line', {x1: m.left, x2: m.left + iw, y1: yy, y2: yy, class: i === 0 ? 'axis-line' : 'grid'}));
    axis.append(svg('text', {x: m.left - 8, y: yy + 4, 'text-anchor': 'end', class: 'tick'}, Number.isInteger(v) ? String(v) : v.toFixed(1)));
  }
  axis.append(svg('text', {x: 14, y: m.top + ih / 2, transform: `rotate(-90 14 ${m.top + ih / 2})`, 'text-anchor': 'middle', class: 'axis-label'}, 'Times raised'));
  root.append(axis);

  // X axis: one label per bucket.
  const xaxis = svg('g', {class: 'axis axis-x'});
  const rotate = data.length > 12;
  data.forEach((d, i) => {
    const cx = m.left + groupW * (i + 0.5);
    xaxis.append(svg('text', rotate
      ? {x: cx, y: m.top + ih + 14, 'text-anchor': 'end', transform: `rotate(-45 ${cx} ${m.top + ih + 14})`, class: 'tick'}
      : {x: cx, y: m.top + ih + 18, 'text-anchor': 'middle', class: 'tick'}, d.bucket));
  });
  xaxis.append(svg('text', {x: m.left + iw / 2, y: H - 8, 'text-anchor': 'middle', class: 'axis-label'}, 'Period tag'));
  root.append(xaxis);

  const plot = svg('g', {class: 'plot'});
  if (kind === 'lines') {
    names.forEach((n, k) => {
      const color = PALETTE[k % PALETTE.length];
      const pts = data.map((d, i) => [m.left + groupW * (i + 0.5), y(d.counts[n] || 0)]);
      plot.append(svg('polyline', {points: pts.map((p) => p.join(',')).join(' '), fill: 'none', stroke: color, 'stroke-width': 2.5,
        'stroke-dasharray': DASHES[k % DASHES.length], 'data-alert': n}));
      pts.forEach((p, i) => {
        const mk = marker(MARKERS[k % MARKERS.length], p[0], p[1], color);
        mk.append(svg('title', {}, `${n} in ${data[i].bucket}: ${data[i].counts[n] || 0}`));
        plot.append(mk);
      });
    });
  } else {
    const pad = Math.min(12, groupW * 0.15);
    const bw = Math.max(1, (groupW - 2 * pad) / Math.max(1, names.length));
    data.forEach((d, i) => {
      const x0 = m.left + groupW * i + pad;
      names.forEach((n, k) => {
        const v = d.counts[n] || 0;
        const yy = y(v);
        plot.append(svg('rect', {x: x0 + bw * k, y: yy, width: Math.max(1, bw - 1), height: Math.max(0, m.top + ih - yy),
          fill: PALETTE[k % PALETTE.length], 'data-alert': n, 'data-bucket': d.bucket},
        svg('title', {}, `${n} in ${d.bucket}: ${v}`)));
      });
    });
  }
  root.append(plot);

  return root;
}

function dataTable(title, names, data, totals, prefix) {
  return h('div', {class: 'tbl-wrap'}, h('table', {class: 'tbl alerts-table', 'data-testid': 'alerts-table'},
    h('caption', {}, `${title}: the numbers`),
    h('thead', {}, h('tr', {}, h('th', {scope: 'col'}, 'Period tag'), names.map((n) => h('th', {scope: 'col', class: 'num'}, n)),
      h('th', {scope: 'col', class: 'num'}, 'All alerts'))),
    h('tbody', {}, data.map((d) => h('tr', {'data-testid': `alerts-row-${d.bucket}`},
      h('th', {scope: 'row'}, d.bucket),
      names.map((n) => h('td', {class: 'num'}, scalarText(d.counts[n] || 0))),
      h('td', {class: 'num'}, String(names.reduce((s, n) => s + (d.counts[n] || 0), 0)))))),
    h('tfoot', {}, h('tr', {},
      h('th', {scope: 'row'}, prefix.length ? `All under ${prefix.join(', ')}` : 'All saved runs'),
      names.map((n) => h('td', {class: 'num'}, scalarText(totals[n] || 0))),
      h('td', {class: 'num'}, String(names.reduce((s, n) => s + (totals[n] || 0), 0)))))));
}
