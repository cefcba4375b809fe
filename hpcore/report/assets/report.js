// The hpcore report page: draws the payload of hpcore.report.payload with plotly.js.
// In a report file the payloads are embedded (#hpcore-data); from the dashboard (config.live)
// they are fetched from api/studies and api/study/<name>, and polled: plots are updated in
// place with Plotly.react, the table keeps its filter and order, and the page never reloads.
(function () {
  'use strict';

  const config = JSON.parse(document.getElementById('hpcore-config').textContent);
  const LIVE = config.live;
  const STATE_COLOURS = { COMPLETE: '#2f5fb3', PRUNED: '#e07b00', FAILED: '#c0262d', RUNNING: '#8a8f99', WAITING: '#b7a800' };
  const PLOT_CONFIG = { displaylogo: false, responsive: true, modeBarButtonsToRemove: ['select2d', 'lasso2d'] };
  const MAX_TABLE_ROWS = 500;
  // Above this many points a scatter plot is drawn with WebGL (SVG slows down past a few thousand).
  const WEBGL_FROM = 1500;
  const WEBGL = (() => {
    try { return !!document.createElement('canvas').getContext('webgl'); } catch (e) { return false; }
  })();
  const MAX_RUNG_PLOTS = 12;
  // Lines of the parallel coordinates: beyond a few thousand they only hide each other (and
  // take seconds to draw without a graphics card).
  const MAX_PARALLEL = 2000;
  const MAX_CONTOUR_DOTS = 300;
  const ui = {
    studies: [],          // report file: the embedded payloads; dashboard: [{name, n_trials, ...}]
    name: null,           // the study shown
    payload: null,
    version: null,
    sortKey: 'id',
    sortDir: 1,
    historyLog: null,     // the log-scale box: null follows the data (history.log), then what the user ticked
    metric: null,
    rowText: null,        // lower-case text of each table row, for the filter
  };

  // -- small helpers ----------------------------------------------------------------------------
  const $ = (id) => document.getElementById(id);

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'class') e.className = v; else e.setAttribute(k, v);
    }
    for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    return e;
  }

  // Plotly renders a few HTML-like tags in its strings (<b>, <br>, <a>): every string that
  // comes from a study (names, categories) is escaped before plotly sees it.
  function esc(s) {
    return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  }

  function fmt(v) {
    if (v === null || v === undefined) return '–';
    if (typeof v === 'number') {
      if (Number.isInteger(v) && Math.abs(v) < 1e15) return String(v);
      return String(Number(v.toPrecision(6)));
    }
    return String(v);
  }

  function fmtSeconds(s) {
    if (s === null || s === undefined) return '–';
    if (s < 120) return `${fmt(Number(s.toPrecision(3)))} s`;
    if (s < 7200) return `${(s / 60).toFixed(1)} min`;
    return `${(s / 3600).toFixed(1)} h`;
  }

  function fmtTime(ts) {
    return ts === null || ts === undefined ? '–' : new Date(ts * 1000).toLocaleString();
  }

  function isNum(v) { return typeof v === 'number' && Number.isFinite(v); }

  // 'scattergl' for many points where the browser has WebGL, else SVG 'scatter'.
  function scatterType(n) { return WEBGL && n > WEBGL_FROM ? 'scattergl' : 'scatter'; }

  function markerStyle(n) {
    if (n <= 300) return { size: 7, opacity: 0.85 };
    if (n <= 3000) return { size: 5, opacity: 0.6 };
    return { size: 3.5, opacity: 0.4 };
  }

  function metricLabel(p) {
    const s = p.summary;
    return `${s.metric || 'value'} (${s.direction === 'maximize' ? 'higher' : 'lower'} is better)`;  // as the PNG plots say
  }

  // Jitter for strips of categories, the same on every redraw (a hash of the trial id).
  function jitter(id, width) {
    const x = Math.sin(id * 12.9898 + 78.233) * 43758.5453;
    return (x - Math.floor(x) - 0.5) * width;
  }

  function baseLayout(extra) {
    return Object.assign({
      margin: { l: 64, r: 24, t: 36, b: 52 },
      font: { family: 'system-ui, -apple-system, Segoe UI, Roboto, sans-serif', size: 12 },
      paper_bgcolor: '#fff', plot_bgcolor: '#fff', hovermode: 'closest',
      legend: { orientation: 'h', x: 0, y: 1.02, yanchor: 'bottom' },
      xaxis: { gridcolor: '#eceff4', zeroline: false }, yaxis: { gridcolor: '#eceff4', zeroline: false },
    }, extra || {});
  }

  function draw(div, traces, layout) {
    return Plotly.react(div, traces, baseLayout(layout), PLOT_CONFIG);
  }

  function show(sectionId, visible) {
    $(sectionId).hidden = !visible;
    const link = document.querySelector(`nav a[href="#${sectionId}"]`);
    if (link) link.classList.toggle('absent', !visible);
  }

  // A plot div per key inside `container`, reused across redraws so Plotly.react updates in place.
  function keyedPlots(container, keys, className) {
    const wanted = new Set(keys);
    for (const div of Array.from(container.querySelectorAll(':scope > [data-key]'))) {
      if (!wanted.has(div.dataset.key)) { Plotly.purge(div.querySelector('.plot') || div); div.remove(); }
    }
    const out = {};
    for (const key of keys) {
      let box = Array.from(container.children).find((d) => d.dataset.key === key);
      if (!box) {
        box = el('div', { class: className || '' });
        box.dataset.key = key;
        container.append(box);
      }
      out[key] = box;
    }
    return out;
  }

  // Budgets as colours: on a log scale when they span a factor of 3 or more.
  function budgetColour(budgets) {
    const nums = budgets.filter(isNum);
    const lo = Math.min(...nums), hi = Math.max(...nums);
    const logScale = lo > 0 && hi >= 3 * lo;
    const distinct = Array.from(new Set(nums)).sort((a, b) => a - b);
    const tick = (b) => (logScale ? Math.log10(b) : b);
    const colorbar = { title: { text: 'budget' }, thickness: 14 };
    if (distinct.length <= 10) {
      colorbar.tickvals = distinct.map(tick);
      colorbar.ticktext = distinct.map(fmt);
    }
    return { values: budgets.map((b) => (isNum(b) ? tick(b) : null)), colorbar, cmin: tick(lo), cmax: tick(hi) };
  }

  // Ticks of a log axis from lo to hi: 1-2-5 steps (every decade when that makes too many, or
  // every digit when the range is short), labelled as plain numbers; plotly's own log ticks
  // print digits alone ("2 5 100 2 5") and SI prefixes ("10μ").
  function logTickValues(lo, hi) {
    const pick = (mults) => {
      const out = [];
      for (let k = Math.floor(Math.log10(lo)) - 1; k <= Math.ceil(Math.log10(hi)); k++) {
        for (const m of mults) {
          const v = Number((m * Math.pow(10, k)).toPrecision(3));
          if (v >= lo * 0.999 && v <= hi * 1.001) out.push(v);
        }
      }
      return out;
    };
    let vals = pick([1, 2, 5]);
    if (vals.length > 9) vals = pick([1]);
    if (vals.length > 9) vals = vals.filter((_, k) => k % Math.ceil(vals.length / 8) === 0);
    if (vals.length < 3) vals = pick([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    if (vals.length > 9) vals = pick([1, 2, 5]).length >= 3 ? pick([1, 2, 5]) : vals;
    return vals;
  }

  // The value axis's range (the payload's window, as the PNG plots choose it): on a log scale
  // when the values span decades (history.log) or the box says so, and every value is positive.
  function valueLog(h) { return h.positive && (ui.historyLog === null ? !!h.log : ui.historyLog); }

  function valueRange(h) {
    if (!h.window) return {};
    const [lo, hi] = h.window;
    return valueLog(h) && lo > 0 ? { type: 'log', range: [Math.log10(lo), Math.log10(hi)] } : { type: 'linear', range: [lo, hi] };
  }

  function logAxis(lo, hi) {
    const vals = logTickValues(lo, hi);
    return { type: 'log', tickvals: vals, ticktext: vals.map(fmt) };
  }

  // -- the study's columns ------------------------------------------------------------------------
  function rowsWhere(p, test) {
    const t = p.trials, out = [];
    for (let i = 0; i < t.id.length; i++) if (test(i)) out.push(i);
    return out;
  }

  function completed(p) { return rowsWhere(p, (i) => p.trials.state[i] === 'COMPLETE' && isNum(p.trials.value[i])); }

  function hoverText(p, i) {
    const t = p.trials;
    let s = `trial ${t.id[i]}<br>${esc(t.state[i])} · value ${esc(fmt(t.value[i]))}`;
    if (t.budget[i] !== null) s += `<br>budget ${fmt(t.budget[i])}` + (t.config[i] !== null ? ` · configuration ${t.config[i]}` : '');
    let n = 0;
    for (const [name, col] of Object.entries(t.params)) {
      if (col[i] === null) continue;
      if (n++ >= 8) { s += '<br>…'; break; }
      s += `<br>${esc(name)} = ${esc(fmt(col[i]))}`;
    }
    return s;
  }

  // -- sections -------------------------------------------------------------------------------------
  function drawSummary(p) {
    const s = p.summary, list = $('summary-list');
    list.replaceChildren();
    const add = (term, ...content) => list.append(el('dt', {}, term), el('dd', {}, ...content));
    add('direction', s.direction + (s.metric ? ` ${s.metric}` : ''));
    const settings = Object.entries(s.settings || {}).map(([k, v]) => `${k}=${typeof v === 'number' ? fmt(v) : JSON.stringify(v)}`).join(', ');
    add('strategy', s.strategy + (settings ? ` (${settings})` : ''), `, seed ${s.seed}`);
    const chips = Object.entries(s.counts).map(([state, n]) => {
      const c = el('span', { class: 'chip' }, `${n.toLocaleString()} ${state}`);
      c.style.background = STATE_COLOURS[state] || '#666';
      return c;
    });
    add('trials', `${s.n_trials.toLocaleString()} `, ...chips);
    const brief = (b) => {
      const params = Object.entries(b.params).map(([k, v]) => `${k}=${fmt(v)}`).join(', ');
      return [`trial ${b.id}: value ${fmt(b.value)}` + (b.budget !== null ? ` at budget ${fmt(b.budget)}` : ''),
        el('br'), el('span', { class: 'params' }, params || '(no parameters)')];
    };
    add('best', ...(s.best ? brief(s.best) : ['none yet (no trial completed with a finite value)']));
    const rec = p.model.recommended;
    if (rec && s.best && rec.id !== s.best.id) {
      add('recommended', ...brief(rec), el('br'),
        'the best GP posterior mean among the trials: under noise the best value is often a lucky draw');
    } else if (rec) {
      add('recommended', `trial ${rec.id}, the best trial (it also has the best GP posterior mean)`);
    }
    const wall = s.first_start !== null && s.last_finish !== null ? s.last_finish - s.first_start : null;
    add('time', `${fmtSeconds(wall)} from the first start (${fmtTime(s.first_start)}) to the last finish (${fmtTime(s.last_finish)}); `
      + `${fmtSeconds(s.trial_seconds)} in trials`);
    $('plan-box').hidden = !s.plan;
    $('plan').textContent = s.plan || '';
  }

  function drawHistory(p) {
    const t = p.trials, h = p.history;
    const ok = completed(p);
    show('history', t.id.length > 0);
    if (!t.id.length) return;
    const multi = ok.some((i) => t.budget[i] !== null);
    const st = markerStyle(ok.length);
    const traces = [];
    const marker = { size: st.size, opacity: st.opacity, color: STATE_COLOURS.COMPLETE };
    if (multi) {
      const c = budgetColour(ok.map((i) => t.budget[i]));
      Object.assign(marker, { color: c.values, colorscale: 'Viridis', cmin: c.cmin, cmax: c.cmax, showscale: true, colorbar: c.colorbar });
    }
    traces.push({ type: scatterType(ok.length), mode: 'markers', name: `completed (${ok.length.toLocaleString()})`,
      x: ok.map((i) => t.id[i]), y: ok.map((i) => t.value[i]), text: ok.map((i) => hoverText(p, i)), hoverinfo: 'text', marker });
    const pruned = rowsWhere(p, (i) => t.state[i] === 'PRUNED' && isNum(t.value[i]));
    if (pruned.length) {
      traces.push({ type: scatterType(pruned.length), mode: 'markers', name: `pruned (${pruned.length.toLocaleString()}, last reported value)`,
        x: pruned.map((i) => t.id[i]), y: pruned.map((i) => t.value[i]), text: pruned.map((i) => hoverText(p, i)), hoverinfo: 'text',
        marker: { symbol: 'x', size: st.size, opacity: st.opacity, color: STATE_COLOURS.PRUNED } });
    }
    if (h.best_ids.length) {
      traces.push({ type: 'scatter', mode: 'lines', name: h.top_budget !== null ? `best so far at budget ${fmt(h.top_budget)}` : 'best so far',
        x: h.best_ids, y: h.best_values, line: { shape: 'hv', color: '#d62728', width: 2.2 }, hoverinfo: 'x+y' });
    }
    const failed = rowsWhere(p, (i) => t.state[i] === 'FAILED');
    const yaxis = { title: { text: esc(metricLabel(p)) }, gridcolor: '#eceff4', zeroline: false };
    if (h.window) {
      const [lo, hi] = h.window;
      if (failed.length) {
        traces.push({ type: scatterType(failed.length), mode: 'markers', name: `failed (${failed.length.toLocaleString()})`,
          x: failed.map((i) => t.id[i]), y: failed.map(() => lo), text: failed.map((i) => hoverText(p, i)), hoverinfo: 'text',
          marker: { symbol: 'line-ns-open', size: 10, color: STATE_COLOURS.FAILED, opacity: 0.7 } });
      }
      if (valueLog(h) && !(lo > 0)) {  // a linear window reaching below zero: from just under the lowest value
        const low = Math.min(...ok.map((i) => t.value[i]));
        Object.assign(yaxis, { type: 'log', range: [Math.log10(low * 0.9), Math.log10(hi)] });
      } else {
        Object.assign(yaxis, valueRange(h));
      }
    }
    const annotations = h.outside ? [{ xref: 'paper', yref: 'paper', x: 1, y: 1, xanchor: 'right', yanchor: 'top', showarrow: false,
      text: `${h.outside.toLocaleString()} trials outside the plotted range`, font: { size: 11, color: '#5c6578' } }] : [];
    draw($('plot-history'), traces, { xaxis: { title: { text: 'trial id' }, gridcolor: '#eceff4', zeroline: false }, yaxis, annotations,
      margin: { l: 70, r: 24, t: 40, b: 52 } });
    const logBox = $('history-log');
    logBox.disabled = !h.positive;
    logBox.parentElement.title = h.positive ? '' : 'a log scale needs every value to be positive';
    logBox.checked = valueLog(h);
    const parts = [];
    if (multi) parts.push('colour: the budget of each trial; values at a lower budget are not comparable with the full-budget ones, so the best-so-far line follows the largest budget');
    if (h.outside) parts.push(`the value axis leaves out ${h.outside.toLocaleString()} trials far worse than the rest (zoom out to see them)`);
    if (!ok.length) parts.push('no trial has completed yet');
    $('history-caption').textContent = parts.join('; ');
  }

  function drawImportance(p) {
    const imp = p.model.importance;
    show('importance', !!imp || !!p.model.note);
    $('plot-importance').hidden = !imp;
    if (!imp) {
      $('importance-caption').textContent = p.model.note ? `No importance: ${p.model.note}.` : '';
      return;
    }
    const names = Object.keys(imp.shares).sort((a, b) => imp.shares[a] - imp.shares[b]);
    const y = [`interactions, rest`, ...names.map(esc)];
    const x = [imp.interactions, ...names.map((n) => imp.shares[n])];
    draw($('plot-importance'), [{ type: 'bar', orientation: 'h', x: x.map((v) => 100 * v), y,
      marker: { color: ['#c5cad3', ...names.map(() => '#2f5fb3')] }, width: Math.min(0.7, 0.18 * y.length), text: x.map((v) => `${(100 * v).toFixed(1)}%`),
      textposition: 'outside', cliponaxis: false, hovertemplate: '%{y}: %{x:.1f}% of the variance<extra></extra>' }],
      { xaxis: { title: { text: 'share of the variance of the GP posterior mean (%)' }, range: [0, Math.max(...x) * 118], gridcolor: '#eceff4' },
        yaxis: { automargin: true }, margin: { l: 24, r: 24, t: 16, b: 52 }, height: Math.max(440, 60 + 26 * y.length),
        showlegend: false });
    $('plot-importance').style.height = `${Math.max(440, 60 + 26 * y.length)}px`;
    $('importance-caption').textContent = `Method: ${imp.method}. A parameter's share is the variance it explains alone; `
      + 'what is left comes from interactions between parameters.';
  }

  function axisFor(p, name) { return p.params.find((a) => a.name === name); }

  function drawContour(p) {
    const c = p.model.contour;
    show('contour', !!c);
    $('importance').style.gridColumn = c ? '' : '1 / -1';  // alone, it takes the row
    if (!c) return;
    const t = p.trials;
    const xcol = t.params[c.x], ycol = t.params[c.y];
    let pts = completed(p).filter((i) => xcol[i] !== null && ycol[i] !== null && (c.budget === null || t.budget[i] === c.budget));
    const all = pts.length;
    if (pts.length > MAX_CONTOUR_DOTS) {  // more would hide the surface: the best ones
      const sign = p.summary.direction === 'minimize' ? 1 : -1;
      pts = pts.sort((i, j) => sign * (t.value[i] - t.value[j])).slice(0, MAX_CONTOUR_DOTS);
    }
    const best = p.summary.best;
    const traces = [
      { type: 'contour', x: c.xs, y: c.ys, z: c.z, colorscale: 'Viridis', reversescale: p.summary.direction === 'maximize',
        ncontours: 18, contours: { coloring: 'heatmap' }, colorbar: { title: { text: esc(metricLabel(p)) }, thickness: 14 },
        hovertemplate: `${esc(c.x)} %{x}<br>${esc(c.y)} %{y}<br>posterior mean %{z:.4g}<extra></extra>` },
      { type: scatterType(pts.length), mode: 'markers', name: 'trials', x: pts.map((i) => xcol[i]), y: pts.map((i) => ycol[i]),
        text: pts.map((i) => hoverText(p, i)), hoverinfo: 'text',
        marker: { size: 5, color: 'rgba(255,255,255,0.75)', line: { color: '#222', width: 0.8 } } },
    ];
    if (best && c.x in best.params && c.y in best.params) {
      traces.push({ type: 'scatter', mode: 'markers', name: `best (trial ${best.id})`, x: [best.params[c.x]], y: [best.params[c.y]],
        marker: { symbol: 'star', size: 16, color: '#d62728', line: { color: '#000', width: 1 } }, hoverinfo: 'name' });
    }
    draw($('plot-contour'), traces, {
      xaxis: Object.assign({ title: { text: esc(c.x) } }, c.log_x ? logAxis(c.xs[0], c.xs[c.xs.length - 1]) : {}),
      yaxis: Object.assign({ title: { text: esc(c.y) } }, c.log_y ? logAxis(c.ys[0], c.ys[c.ys.length - 1]) : {}),
      margin: { l: 70, r: 24, t: 40, b: 52 } });
    $('contour-caption').textContent = `The Gaussian-process posterior mean over ${c.x} and ${c.y} (the two most important numeric `
      + `parameters), every other parameter at its value in trial ${c.at_trial}${c.budget !== null ? `, at budget ${fmt(c.budget)}` : ''}; `
      + (all > pts.length ? `the dots are the best ${pts.length.toLocaleString()} of ${all.toLocaleString()} trials` : 'the dots are the trials')
      + ', the star the best trial.';
  }

  // One figure with a panel per parameter (one WebGL context for all: browsers allow few).
  function drawSlices(p) {
    const t = p.trials, ok = completed(p);
    show('slices', p.params.length > 0);
    if (!p.params.length) return;
    const multi = ok.some((i) => t.budget[i] !== null);
    const bestId = p.summary.best ? p.summary.best.id : null;
    const ncols = Math.min(3, p.params.length), nrows = Math.ceil(p.params.length / ncols);
    const gapX = 0.07, gapY = 0.55 / nrows;
    const width = (1 - gapX * (ncols - 1)) / ncols, height = (1 - gapY * (nrows - 1)) / nrows;
    const traces = [], layout = { showlegend: false, margin: { l: 60, r: 70, t: 12, b: 48 } };
    let colour = null;
    if (multi) colour = budgetColour(ok.map((i) => t.budget[i]));
    p.params.forEach((a, k) => {
      const row = Math.floor(k / ncols), column = k % ncols, n = k ? String(k + 1) : '';
      const col = t.params[a.name];
      const rows = ok.filter((i) => col[i] !== null);
      const inactive = ok.length - rows.length;
      const cat = a.kind === 'category';
      const small = a.kind === 'int' && !a.log && a.high - a.low <= 30;
      const xOf = (i) => (cat ? a.labels.indexOf(col[i]) + jitter(t.id[i], 0.6) : small ? col[i] + jitter(t.id[i], 0.5) : col[i]);
      const st = markerStyle(rows.length);
      const marker = { size: st.size, opacity: st.opacity, colorscale: 'Viridis' };
      if (multi) {
        const byId = new Map(ok.map((i, j) => [i, colour.values[j]]));
        Object.assign(marker, { color: rows.map((i) => byId.get(i)), cmin: colour.cmin, cmax: colour.cmax });
      } else {
        Object.assign(marker, { color: rows.map((i) => t.id[i]), cmin: 0, cmax: Math.max(1, ...t.id) });
      }
      if (k === 0) Object.assign(marker, { showscale: true, colorbar: multi ? colour.colorbar : { title: { text: 'trial id' }, thickness: 14 } });
      traces.push({ type: scatterType(rows.length), mode: 'markers', x: rows.map(xOf), y: rows.map((i) => t.value[i]),
        text: rows.map((i) => hoverText(p, i)), hoverinfo: 'text', marker, xaxis: `x${n}`, yaxis: `y${n}` });
      const bi = rows.find((i) => t.id[i] === bestId);
      if (bi !== undefined) {
        traces.push({ type: 'scatter', mode: 'markers', x: [cat ? a.labels.indexOf(col[bi]) : col[bi]], y: [t.value[bi]],
          marker: { symbol: 'star', size: 13, color: '#d62728', line: { color: '#000', width: 1 } }, hoverinfo: 'text',
          text: [`best: trial ${bestId}`], xaxis: `x${n}`, yaxis: `y${n}` });
      }
      const x0 = column * (width + gapX), y1 = 1 - row * (height + gapY);
      const xaxis = { domain: [x0, x0 + width], anchor: `y${n}`, gridcolor: '#eceff4', zeroline: false, automargin: true,
        title: { text: esc(a.name) + (a.log ? ' (log)' : '') + (inactive ? ` · ${inactive.toLocaleString()} inactive` : ''), standoff: 4 } };
      if (cat) Object.assign(xaxis, { tickvals: a.labels.map((_, j) => j), ticktext: a.labels.map(esc), range: [-0.6, a.labels.length - 0.4] });
      else if (a.log) Object.assign(xaxis, logAxis(a.low, a.high), { range: [Math.log10(a.low) - 0.03, Math.log10(a.high) + 0.03] });
      else if (a.high > a.low) { const pad = 0.03 * (a.high - a.low) + (small ? 0.5 : 0); xaxis.range = [a.low - pad, a.high + pad]; }
      const yaxis = { domain: [y1 - height, y1], anchor: `x${n}`, gridcolor: '#eceff4', zeroline: false };
      Object.assign(yaxis, valueRange(p.history));
      if (column === 0) yaxis.title = { text: esc(p.summary.metric || 'value') };
      layout[`xaxis${n}`] = xaxis;
      layout[`yaxis${n}`] = yaxis;
    });
    const div = $('plot-slices');
    div.style.height = `${60 + 270 * nrows}px`;
    draw(div, traces, layout);
    const what = multi ? 'colour: budget' : 'colour: trial id';
    $('slices-caption').textContent = `Completed trials; ${what}; the star is the best trial. A conditional parameter shows only the trials where it is active.`;
  }

  function drawParallel(p) {
    const t = p.trials, h = p.history;
    let rows = completed(p);
    if (h.top_budget !== null) rows = rows.filter((i) => t.budget[i] === h.top_budget);
    show('parallel', rows.length >= 2 && p.params.length > 0);
    if (rows.length < 2 || !p.params.length) return;
    const eligible = rows.length;
    if (rows.length > MAX_PARALLEL) {
      // The best half, and the others evenly spread over the rest (so the brushes still show
      // where the bad trials lie).
      const sign = p.summary.direction === 'minimize' ? 1 : -1;
      rows.sort((i, j) => sign * (t.value[i] - t.value[j]));
      const best = rows.slice(0, MAX_PARALLEL / 2), rest = rows.slice(MAX_PARALLEL / 2);
      const stride = rest.length / (MAX_PARALLEL / 2);
      rows = best.concat(Array.from({ length: MAX_PARALLEL / 2 }, (_, k) => rest[Math.floor(k * stride)]));
      rows.sort((i, j) => i - j);
    }
    $('plot-parallel').hidden = !WEBGL;
    if (!WEBGL) {
      $('parallel-caption').textContent = 'Parallel coordinates are drawn with WebGL, which this browser does not offer.';
      return;
    }
    const dims = [];
    for (const a of p.params) {
      const col = t.params[a.name];
      const hasInactive = rows.some((i) => col[i] === null);
      const label = esc(a.name) + (a.log ? ' (log)' : '');
      if (a.kind === 'category') {
        const d = { label, values: rows.map((i) => (col[i] === null ? -1 : a.labels.indexOf(col[i]))),
          tickvals: a.labels.map((_, k) => k), ticktext: a.labels.map(esc), range: [hasInactive ? -1 : 0, Math.max(a.labels.length - 1, 1)] };
        if (hasInactive) { d.tickvals = [-1, ...d.tickvals]; d.ticktext = ['(inactive)', ...d.ticktext]; }
        dims.push(d);
      } else {
        const tr = (v) => (a.log ? Math.log10(v) : v);
        let lo = tr(a.low), hi = tr(a.high);
        if (!(hi > lo)) hi = lo + 1;
        const below = lo - 0.12 * (hi - lo);
        const d = { label, values: rows.map((i) => (col[i] === null ? below : tr(col[i]))), range: [hasInactive ? below : lo, hi] };
        if (a.log) { const vals = logTickValues(a.low, a.high); Object.assign(d, { tickvals: vals.map(Math.log10), ticktext: vals.map(fmt) }); }
        else { const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => lo + f * (hi - lo)); Object.assign(d, { tickvals: ticks, ticktext: ticks.map((v) => fmt(Number(v.toPrecision(3)))) }); }
        if (hasInactive) { d.tickvals = [below, ...d.tickvals]; d.ticktext = ['(inactive)', ...d.ticktext]; }
        dims.push(d);
      }
    }
    const values = rows.map((i) => t.value[i]);
    // The value axis and the colours span the values drawn (at the largest budget they may be
    // far narrower than the history's window), within that window (outliers stay out).
    let vlo = Math.min(...values), vhi = Math.max(...values);
    if (h.window) { vlo = Math.max(vlo, h.window[0]); vhi = Math.min(vhi, h.window[1]); }
    if (!(vhi > vlo)) { vlo -= 0.5; vhi += 0.5; }
    const vpad = 0.04 * (vhi - vlo);
    dims.push({ label: esc(metricLabel(p)), values, range: [vlo - vpad, vhi + vpad] });
    draw($('plot-parallel'), [{ type: 'parcoords', dimensions: dims,
      line: { color: values, colorscale: 'Viridis', reversescale: p.summary.direction === 'maximize', showscale: true,
        cmin: vlo, cmax: vhi,
        colorbar: { title: { text: esc(p.summary.metric || 'value') }, thickness: 14 } } }],
    { margin: { l: 70, r: 150, t: 64, b: 28 } });
    const sample = rows.length < eligible ? ` (the best ${(MAX_PARALLEL / 2).toLocaleString()} and ${(MAX_PARALLEL / 2).toLocaleString()} others spread over the rest, of ${eligible.toLocaleString()})` : '';
    $('parallel-caption').textContent = `${rows.length.toLocaleString()} completed trials${sample}`
      + (h.top_budget !== null ? ` at budget ${fmt(h.top_budget)} (values at other budgets are not comparable)` : '')
      + '; drag along an axis to keep only a range of it (drag again elsewhere to add one, click the axis outside it to clear).';
  }

  function drawRungs(p) {
    const runs = p.rungs || [];
    show('rungs', runs.length > 0);
    const body = $('rungs-body');
    if (!runs.length) { body.replaceChildren(); return; }
    const shown = runs.slice(-MAX_RUNG_PLOTS);
    const keyOf = (r) => `${r.iteration}/${r.bracket}`;
    const boxes = keyedPlots(body, shown.map(keyOf), 'rung-run');
    for (const run of shown) {
      const box = boxes[keyOf(run)];
      box.replaceChildren();
      const title = run.bracket === null ? 'trials with a budget outside the Hyperband plan'
        : `iteration ${run.iteration}, bracket ${run.bracket}: rungs at budget ${run.budgets.map(fmt).join(', ')}`;
      const div = el('div', { class: 'plot' });
      box.append(el('h3', {}, title), div);
      const levels = run.budgets.length;
      const traces = [];
      for (let level = levels - 1; level >= 0; level--) {
        const xs = [], ys = [], texts = [];
        for (const cfg of run.configs) {
          if (cfg.reached !== level) continue;
          for (const e of cfg.trials) {
            if (!isNum(e.value)) continue;
            xs.push(e.budget); ys.push(e.value);
            texts.push(`trial ${e.id}${cfg.config !== null ? ` · configuration ${cfg.config}` : ''}<br>budget ${fmt(e.budget)} · value ${fmt(e.value)}`);
          }
          xs.push(null); ys.push(null); texts.push('');
        }
        if (!xs.length) continue;
        const frac = levels > 1 ? level / (levels - 1) : 1;
        traces.push({ type: 'scatter', mode: level ? 'lines+markers' : 'markers', name: level ? `promoted to rung ${level}` : 'stopped at rung 0',
          x: xs, y: ys, text: texts, hoverinfo: 'text', connectgaps: false,
          line: { width: 1 + frac, color: `rgba(${Math.round(200 - 170 * frac)},${Math.round(120 - 60 * frac)},${Math.round(60 + 120 * frac)},${0.35 + 0.5 * frac})` },
          marker: { size: 5 + 2 * frac } });
      }
      const logX = run.budgets[0] > 0 && run.budgets[run.budgets.length - 1] >= 3 * run.budgets[0];
      draw(div, traces, { xaxis: { title: { text: 'budget' }, type: logX ? 'log' : 'linear', tickvals: run.budgets, ticktext: run.budgets.map(fmt) },
        yaxis: { title: { text: esc(metricLabel(p)) }, ...valueRange(p.history) }, margin: { l: 70, r: 24, t: 36, b: 48 } });
      const promoted = run.configs.filter((c) => c.reached > 0);
      if (promoted.length) {
        const head = el('tr', {}, el('th', {}, 'configuration'), ...run.budgets.map((b, k) => el('th', {}, `rung ${k} (budget ${fmt(b)})`)));
        const rowsEl = promoted.map((c) => {
          const cells = run.budgets.map((_, k) => {
            const e = c.trials.find((x) => x.rung === k);
            const td = el('td', e && k < c.reached ? { class: 'promoted' } : {}, e ? `trial ${e.id}: ${fmt(e.value)}${e.state !== 'COMPLETE' ? ` (${e.state})` : ''}` : '');
            return td;
          });
          return el('tr', {}, el('td', {}, c.config === null ? '–' : String(c.config)), ...cells);
        });
        const table = el('table', { class: 'rung-table' }, el('thead', {}, head), el('tbody', {}, ...rowsEl));
        box.append(el('div', { class: 'table-wrap' }, table));
      }
    }
    $('rungs-caption').textContent = 'Each line is one configuration through the rungs of its bracket, by trial id (the ids of the table and of hpcore show); '
      + 'the table lists the configurations promoted at least once (bold: promoted from that rung).'
      + (runs.length > shown.length ? ` The last ${shown.length} of ${runs.length} bracket runs are drawn.` : '');
  }

  function drawCurves(p) {
    const cv = p.curves;
    show('curves', !!cv);
    if (!cv) return;
    const pick = $('curve-metric');
    if (!cv.metrics.includes(ui.metric)) ui.metric = cv.metric;
    $('curve-metric-label').hidden = cv.metrics.length < 2;
    pick.replaceChildren(...cv.metrics.map((m) => el('option', { value: m }, m)));
    pick.value = ui.metric;
    const byState = {}, counts = {};
    const ends = { x: [], y: [], text: [] };
    const bestId = p.summary.best ? p.summary.best.id : null;
    let best = null;
    for (const c of cv.curves) {
      const ys = c.values[ui.metric], xs = c.steps[ui.metric];
      if (!ys) continue;
      const g = byState[c.state] || (byState[c.state] = { x: [], y: [], text: [] });
      counts[c.state] = (counts[c.state] || 0) + 1;
      const label = `trial ${c.id}${c.config !== null ? ` · configuration ${c.config}` : ''}`;
      xs.forEach((s, k) => { g.x.push(s); g.y.push(ys[k]); g.text.push(`${label}<br>step ${s}: ${fmt(ys[k])}`); });
      g.x.push(null); g.y.push(null); g.text.push('');
      if (c.id === bestId) best = { x: xs, y: ys, text: xs.map((s, k) => `best: ${label}<br>step ${s}: ${fmt(ys[k])}`) };
      if (c.state === 'PRUNED' && xs.length) {
        ends.x.push(xs[xs.length - 1]); ends.y.push(ys[ys.length - 1]); ends.text.push(`trial ${c.id} pruned at step ${xs[xs.length - 1]}`);
      }
    }
    const n = cv.curves.length;
    // Pruned curves (the many bad ones) underneath, completed ones over them, the best on top.
    const order = (state) => (state === 'PRUNED' ? 0 : state === 'COMPLETE' ? 2 : 1);
    const names = { COMPLETE: 'completed', PRUNED: 'pruned' };
    const traces = Object.entries(byState).sort(([a], [b]) => order(a) - order(b)).map(([state, g]) => ({
      type: scatterType(g.x.length), mode: 'lines', name: `${names[state] || state.toLowerCase()} (${counts[state].toLocaleString()})`,
      x: g.x, y: g.y, text: g.text, hoverinfo: 'text', connectgaps: false,
      line: { color: STATE_COLOURS[state] || '#666', width: n > 100 ? 1 : 1.5 }, opacity: n > 100 ? 0.45 : 0.8 }));
    if (ends.x.length) {
      traces.push({ type: scatterType(ends.x.length), mode: 'markers', name: 'where a pruned trial stopped', x: ends.x, y: ends.y,
        text: ends.text, hoverinfo: 'text', marker: { symbol: 'x', size: 8, color: STATE_COLOURS.PRUNED } });
    }
    if (best) {
      traces.push({ type: 'scatter', mode: 'lines', name: `best: trial ${bestId}`, x: best.x, y: best.y, text: best.text, hoverinfo: 'text',
        line: { color: '#d62728', width: 2.6 } });
    }
    draw($('plot-curves'), traces, { xaxis: { title: { text: cv.source.startsWith('values reported') ? 'step' : 'epoch' } },
      yaxis: { title: { text: esc(ui.metric === 'value' ? metricLabel(p) : ui.metric) } }, margin: { l: 70, r: 24, t: 40, b: 52 } });
    $('curves-caption').textContent = `From the ${cv.source}; ${n.toLocaleString()} of ${cv.total.toLocaleString()} trials`
      + (n < cv.total ? ' (the best half and the most recent)' : '') + '.';
  }

  // -- the trial table --------------------------------------------------------------------------------
  function tableColumns(p) {
    const t = p.trials;
    const cols = [{ key: 'id', label: 'id', num: true }, { key: 'state', label: 'state' }, { key: 'value', label: 'value', num: true }];
    if (t.budget.some((b) => b !== null)) cols.push({ key: 'budget', label: 'budget', num: true });
    if (t.config.some((c) => c !== null)) cols.push({ key: 'config', label: 'configuration', num: true });
    if (t.step.some((s) => s !== null)) cols.push({ key: 'step', label: 'last step', num: true });
    cols.push({ key: 'seconds', label: 'seconds', num: true });
    for (const a of p.params) cols.push({ key: `param:${a.name}`, label: a.name, num: a.kind !== 'category', param: a.name });
    return cols;
  }

  function cellOf(p, col, i) { return col.param ? p.trials.params[col.param][i] : p.trials[col.key][i]; }

  function compare(a, b) {
    if (a === b) return 0;
    if (a === null) return 1;           // empty cells last, whichever the direction
    if (b === null) return -1;
    if (typeof a === 'number' && typeof b === 'number') return a - b;
    if (typeof a === 'number') return -1;  // "nan", "inf" after the numbers
    if (typeof b === 'number') return 1;
    return String(a).localeCompare(String(b));
  }

  function drawTable(p) {
    const cols = tableColumns(p);
    if (!cols.some((c) => c.key === ui.sortKey)) { ui.sortKey = 'id'; ui.sortDir = 1; }
    const head = $('trial-table').tHead;
    head.replaceChildren(el('tr', {}, ...cols.map((c) => {
      const th = el('th', { 'data-key': c.key, class: c.key === ui.sortKey ? (ui.sortDir > 0 ? 'sorted-up' : 'sorted-down') : '' }, c.label);
      th.addEventListener('click', () => {
        if (ui.sortKey === c.key) ui.sortDir = -ui.sortDir; else { ui.sortKey = c.key; ui.sortDir = 1; }
        drawTable(ui.payload);
      });
      return th;
    })));
    const n = p.trials.id.length;
    if (!ui.rowText || ui.rowText.length !== n) {
      ui.rowText = [];
      for (let i = 0; i < n; i++) ui.rowText.push(cols.map((c) => fmt(cellOf(p, c, i))).join(' ').toLowerCase());
    }
    const words = $('table-filter').value.toLowerCase().split(/\s+/).filter(Boolean);
    let rows = [];
    for (let i = 0; i < n; i++) if (words.every((w) => ui.rowText[i].includes(w))) rows.push(i);
    const sortCol = cols.find((c) => c.key === ui.sortKey);
    const nullsLast = (i, j) => {
      const a = cellOf(p, sortCol, i), b = cellOf(p, sortCol, j);
      if (a === null || b === null) return compare(a, b);
      return ui.sortDir * compare(a, b) || p.trials.id[i] - p.trials.id[j];
    };
    rows.sort(nullsLast);
    const matching = rows.length;
    rows = rows.slice(0, MAX_TABLE_ROWS);
    const bestId = p.summary.best ? p.summary.best.id : null;
    const body = $('trial-table').tBodies[0];
    body.replaceChildren(...rows.map((i) => {
      const tr = el('tr', p.trials.id[i] === bestId ? { class: 'best' } : {});
      for (const c of cols) {
        const v = cellOf(p, c, i);
        const cls = [c.num ? 'num' : '', c.key === 'state' ? `state-${v}` : ''].filter(Boolean).join(' ');
        tr.append(el('td', cls ? { class: cls } : {}, fmt(v)));
      }
      return tr;
    }));
    const filtered = words.length ? ` matching the filter (of ${n.toLocaleString()})` : '';
    $('table-count').textContent = matching > rows.length
      ? `${rows.length.toLocaleString()} of ${matching.toLocaleString()} rows${filtered}; sort or filter to see others`
      : `${matching.toLocaleString()} rows${filtered}`;
  }

  function drawFailures(p) {
    const f = p.failures;
    const body = $('failures-body');
    show('failures', f.n_failed > 0);
    body.replaceChildren(...f.groups.map((g) => {
      const lines = g.error.trim().split('\n');
      const ids = g.ids.length > 12 ? `${g.ids.slice(0, 12).join(', ')}, …` : g.ids.join(', ');
      const head = `trial${g.ids.length > 1 ? 's' : ''} ${ids}${g.ids.length > 1 ? ` (${g.ids.length.toLocaleString()})` : ''}`
        + `${g.interrupted ? ' · stopped from outside' : ''}: ${lines[lines.length - 1]}`;
      return el('details', { class: 'failure' }, el('summary', {}, head), el('pre', {}, g.error));
    }));
    $('failures-caption').textContent = f.n_failed
      ? `${f.n_failed.toLocaleString()} failed trials, ${f.n_groups.toLocaleString()} distinct errors`
        + (f.n_groups > f.groups.length ? ` (the first ${f.groups.length} shown whole; hpcore show FILE --trial ID prints any trial)` : '')
        + '. Open one to read its traceback.'
      : '';
  }

  function render(p) {
    ui.payload = p;
    ui.rowText = null;
    $('problem').hidden = true;
    $('app').hidden = false;
    $('study-title').textContent = p.name;
    const sections = [drawSummary, drawHistory, drawImportance, drawContour, drawSlices, drawParallel, drawRungs, drawCurves, drawTable, drawFailures];
    const took = {};
    for (const fn of sections) {
      const t0 = performance.now();
      try { fn(p); } catch (e) { report(`${fn.name}: ${e && e.message ? e.message : e}`); throw e; }
      took[fn.name] = Math.round(performance.now() - t0);
    }
    window.hpcoreTimings = Object.assign(window.hpcoreTimings || {}, { sections: took });
    window.dispatchEvent(new CustomEvent('hpcore:rendered', { detail: { name: p.name, version: p.version } }));
  }

  function report(message) {
    const box = $('problem');
    box.textContent = `Something on this page could not be drawn (${message}).`;
    box.hidden = false;
  }

  // -- choosing a study --------------------------------------------------------------------------------
  function fromHash() {
    const m = /study=([^&]*)/.exec(location.hash.slice(1));
    return m ? decodeURIComponent(m[1]) : null;
  }

  function fillPicker(names) {
    const pick = $('study-select');
    const same = pick.options.length === names.length && Array.from(pick.options).every((o, k) => o.value === names[k]);
    if (!same) pick.replaceChildren(...names.map((n) => el('option', { value: n }, n)));
    pick.value = ui.name;
    $('study-picker').hidden = names.length < 2;
  }

  function choose(name) {
    if (name === ui.name) return;
    ui.name = name;
    ui.version = null;
    ui.rowText = null;
    history.replaceState(null, '', `#study=${encodeURIComponent(name)}`);
    if (LIVE) poll(); else render(ui.studies.find((s) => s.name === name));
    $('study-select').value = name;
  }

  // -- the dashboard: polling ----------------------------------------------------------------------------
  let timer = null;

  async function getJSON(url) {
    const r = await fetch(url, { cache: 'no-store' });
    if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
    return r.json();
  }

  async function poll() {
    clearTimeout(timer);
    const status = $('status');
    try {
      const list = await getJSON('api/studies');
      ui.studies = list.studies;
      const names = list.studies.map((s) => s.name);
      if (!names.length) { report('the study file holds no studies yet'); }
      else {
        if (!names.includes(ui.name)) { ui.name = names.includes(fromHash()) ? fromHash() : (LIVE.study && names.includes(LIVE.study) ? LIVE.study : names[0]); ui.version = null; }
        fillPicker(names);
        const asked = ui.name;
        const since = ui.version === null ? '' : `?since=${ui.version}`;
        const p = await getJSON(`api/study/${encodeURIComponent(asked)}${since}`);
        if (asked === ui.name && !p.unchanged) { ui.version = p.version; render(p); }
      }
      status.classList.remove('lost');
      status.textContent = `live · updated ${new Date().toLocaleTimeString()} · every ${LIVE.poll_seconds} s`;
    } catch (e) {
      status.classList.add('lost');
      status.textContent = `connection lost (${e.message}); retrying`;
    }
    timer = setTimeout(poll, LIVE.poll_seconds * 1000);
  }

  // -- start ------------------------------------------------------------------------------------------------
  async function loadPlotly() {
    if (window.Plotly) return;
    if (typeof DecompressionStream === 'undefined') {
      throw new Error('this browser cannot unpack the plotting library (no DecompressionStream); open the report in a browser released since 2023');
    }
    const packed = atob(document.getElementById('hpcore-plotly').textContent.trim());
    const bytes = new Uint8Array(packed.length);
    for (let i = 0; i < packed.length; i++) bytes[i] = packed.charCodeAt(i);
    const code = await new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'))).text();
    const url = URL.createObjectURL(new Blob([code], { type: 'text/javascript' }));
    await new Promise((resolve, reject) => {
      const s = document.createElement('script');
      s.src = url;
      s.onload = resolve;
      s.onerror = () => reject(new Error('the plotting library did not load'));
      document.head.append(s);
    });
    URL.revokeObjectURL(url);
  }

  async function start() {
    $('status').textContent = 'loading…';
    const t0 = performance.now();
    await loadPlotly();
    window.hpcoreTimings = { plotlyMs: performance.now() - t0 };
    $('history-log').addEventListener('change', (e) => { ui.historyLog = e.target.checked; drawHistory(ui.payload); });
    $('curve-metric').addEventListener('change', (e) => { ui.metric = e.target.value; drawCurves(ui.payload); });
    $('table-filter').addEventListener('input', () => drawTable(ui.payload));
    $('study-select').addEventListener('change', (e) => choose(e.target.value));
    if (LIVE) { await poll(); return; }
    ui.studies = JSON.parse(document.getElementById('hpcore-data').textContent).studies;
    if (!ui.studies.length) { report('the report holds no study'); return; }
    const names = ui.studies.map((s) => s.name);
    ui.name = names.includes(fromHash()) ? fromHash() : names[0];
    fillPicker(names);
    const t1 = performance.now();
    render(ui.studies.find((s) => s.name === ui.name));
    window.hpcoreTimings.renderMs = performance.now() - t1;
    const gen = ui.payload.generated_at;
    $('status').textContent = `report written ${fmtTime(gen)}`;
  }

  start().catch((e) => { report(e && e.message ? e.message : String(e)); $('status').textContent = ''; console.error(e); });
})();
