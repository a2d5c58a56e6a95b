// A batch's page: its progress every second without reload, a chart of requests per second, its servers and first
// errors, and buttons to cancel it and download its files.
'use strict';
(() => {
  const d = dashboard;
  const id = decodeURIComponent(location.pathname.split('/').pop());
  const samples = [];
  const maxSamples = 120;
  const text = (elementId, value) => { document.getElementById(elementId).textContent = value; };

  function showFile(linkId, fileId, name) {
    const link = document.getElementById(linkId);
    link.hidden = fileId == null;
    if (fileId != null) {
      link.href = `${d.root}/api/files/${encodeURIComponent(fileId)}/content`;
      link.download = `${id}_${name}.jsonl`;
    }
  }

  function render(detail) {
    const b = detail.batch;
    document.title = `${b.id} · LocalBatch`;
    text('title', b.id);
    document.getElementById('progress').replaceChildren(d.progressBar(b));
    document.getElementById('status').replaceChildren(d.statusBadge(b.status));
    text('completed', d.fmtNumber(b.completed));
    text('failed', d.fmtNumber(b.failed));
    text('total', d.fmtNumber(b.total));
    text('in-flight', d.fmtNumber(detail.in_flight));
    text('rate', d.fmtRate(b.requests_per_second));
    text('eta', d.fmtDuration(b.eta_seconds));
    text('tokens', `${d.fmtNumber(detail.prompt_tokens)} / ${d.fmtNumber(detail.completion_tokens)}`);
    text('yielding', detail.yielding == null ? '—' : detail.yielding ? 'yes: slots are kept free for people using the server' : 'no');
    text('input', b.input_file_name);
    text('endpoint', b.endpoint);
    text('created', d.fmtTime(b.created_at));
    text('ended', d.fmtTime(b.ended_at));
    const waiting = document.getElementById('waiting');
    waiting.hidden = !b.waiting;
    waiting.textContent = b.waiting ?? '';

    document.getElementById('cancel').hidden = !detail.can_cancel;
    showFile('download-output', detail.output_file_id, 'output');
    showFile('download-errors', detail.error_file_id, 'errors');
    text('files-note', b.ended_at == null ? 'The output and error files can be downloaded once the batch has ended.' : '');

    renderServers(detail.servers);
    renderErrors(detail.errors);
    sample(b);
  }

  function renderServers(servers) {
    document.getElementById('servers-section').hidden = servers.length < 2;
    document.querySelector('#servers tbody').replaceChildren(...servers.map((s) => {
      const tr = document.createElement('tr');
      d.cell(tr, 'Server', s.endpoint);
      d.cell(tr, 'State', s.in_rotation ? 'in rotation' : 'out (failing)');
      d.cell(tr, 'Share', `${Math.round(100 * s.share)}%`);
      d.cell(tr, 'In flight / limit', `${s.in_flight} / ${s.limit}`);
      d.cell(tr, 'Requests', d.fmtNumber(s.requests));
      d.cell(tr, 'Failures', d.fmtNumber(s.failures));
      d.cell(tr, 'Kept free for people', d.fmtNumber(s.reserved));
      return tr;
    }));
  }

  function renderErrors(errors) {
    document.getElementById('errors').hidden = errors.length === 0;
    document.getElementById('no-errors').hidden = errors.length > 0;
    document.querySelector('#errors tbody').replaceChildren(...errors.map((e) => {
      const tr = document.createElement('tr');
      d.cell(tr, 'custom_id', e.custom_id, 'custom-id');
      d.cell(tr, 'Cause', e.cause ?? '');
      d.cell(tr, 'Message', e.message ?? '');
      return tr;
    }));
  }

  /** Adds the rate since the last sample and draws the chart: a line over the last two minutes or so. */
  function sample(b) {
    const now = performance.now() / 1000;
    const done = b.completed + b.failed;
    const last = samples[samples.length - 1];
    if (last && now - last.t < 0.5) return;
    const rate = last ? Math.max(0, (done - last.done) / (now - last.t)) : (b.ended_at == null ? b.requests_per_second ?? 0 : 0);
    samples.push({ t: now, done, rate });
    if (samples.length > maxSamples) samples.shift();
    draw();
  }

  function draw() {
    const svg = document.getElementById('chart');
    const ns = 'http://www.w3.org/2000/svg';
    const [w, h, pad] = [600, 140, 18];
    const top = Math.max(1, ...samples.map((s) => s.rate));
    const x = (i) => (samples.length < 2 ? w : (i * w) / (samples.length - 1));
    const y = (r) => h - pad - (r / top) * (h - 2 * pad);
    const line = document.createElementNS(ns, 'polyline');
    line.setAttribute('points', samples.map((s, i) => `${x(i).toFixed(1)},${y(s.rate).toFixed(1)}`).join(' '));
    line.setAttribute('class', 'line');
    const axis = document.createElementNS(ns, 'line');
    Object.entries({ x1: 0, x2: w, y1: h - pad, y2: h - pad, class: 'axis' }).forEach(([k, v]) => axis.setAttribute(k, v));
    text('chart-scale', `Top of the chart: ${top.toFixed(1)}/s.`);
    const title = document.createElementNS(ns, 'title');
    title.id = 'chart-summary';
    const current = samples[samples.length - 1].rate;
    title.textContent = `Requests per second: now ${current.toFixed(1)}, at most ${top.toFixed(1)} over ${samples.length} samples`;
    svg.replaceChildren(title, axis, line);
  }

  document.getElementById('cancel').addEventListener('click', async () => {
    if (!confirm(`Cancel ${id}? Requests not yet answered will not run.`)) return;
    try {
      await d.api(`/batches/${encodeURIComponent(id)}/cancel`, 'POST');
      render(await d.api(`/batches/${encodeURIComponent(id)}`));
    } catch (e) {
      document.getElementById('error').textContent = e.message;
    }
  });

  d.poll(async () => render(await d.api(`/batches/${encodeURIComponent(id)}`)), 1000);
})();
