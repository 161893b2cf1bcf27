import { html, useState, useEffect, useRef, useContext, Session, can, Loading, formatValue } from "../ui.js";
import { api } from "../api.js";
import { resources, hasPath } from "../meta.js";

function percent(value) {
  return value === null || value === undefined ? "—" : `${(value * 100).toFixed(1)} %`;
}

function Chart({ id, label, config }) {
  const canvas = useRef(null);
  useEffect(() => {
    if (!canvas.current || !window.Chart) return undefined;
    const chart = new window.Chart(canvas.current, config);
    return () => chart.destroy();
  }, [JSON.stringify(config.data)]);
  return html`<div class="chart"><canvas id=${id} ref=${canvas} role="img" aria-label=${label}></canvas></div>`;
}

async function optional(path) {
  try {
    return (await api(path)).data;
  } catch {
    return null;
  }
}

export function Dashboard() {
  const { me } = useContext(Session);
  const [state, setState] = useState(null);

  useEffect(() => {
    let live = true;
    (async () => {
      const shown = resources().filter((r) => hasPath(r.path) && can(me, r.module, "read"));
      const counts = await Promise.all(shown.map(async (r) => {
        const data = await optional(`${r.path}?size=1`);
        return [r.key, r.label, data ? data.total : null];
      }));
      const [stats, summary, overdue, changes] = await Promise.all([
        can(me, "production", "read") && hasPath("/api/v1/production/stats")
          ? optional("/api/v1/production/stats") : null,
        can(me, "quality", "read") && hasPath("/api/v1/quality/summary")
          ? optional("/api/v1/quality/summary") : null,
        can(me, "tasks", "read") && hasPath("/api/v1/tasks")
          ? optional("/api/v1/tasks?overdue=true&size=5&sort=due_date") : null,
        can(me, "audit", "read") && hasPath("/api/v1/audit/changes")
          ? optional("/api/v1/audit/changes?limit=8") : null,
      ]);
      if (live) setState({ counts, stats, summary, overdue, changes });
    })();
    return () => { live = false; };
  }, [me]);

  if (!state) return html`<${Loading} label="Loading the dashboard…" />`;
  const { counts, stats, summary, overdue, changes } = state;
  const statuses = stats ? Object.keys(stats.by_status || {}) : [];
  const trend = summary ? summary.trend || [] : [];
  return html`<h1>Dashboard</h1>
    <section aria-labelledby="counts-title">
      <h2 id="counts-title">Records</h2>
      <ul class="tiles">
        ${counts.map(([key, label, total]) => html`<li class="tile">
          <a href=${`#/${key}`}><span class="tile-number">${total ?? "—"}</span>
          <span class="tile-label">${label}</span></a></li>`)}
      </ul>
    </section>
    <div class="grid-2">
      ${stats && html`<section class="card" aria-labelledby="production-title">
        <h2 id="production-title">Production by status</h2>
        <ul class="inline-stats">
          ${statuses.map((s) => html`<li><a href=${`#/batches?status=${s}`}>
            <strong>${stats.by_status[s]}</strong> ${s.replace(/_/g, " ")}</a></li>`)}
          <li>Completion rate <strong>${percent(stats.completion_rate)}</strong></li>
        </ul>
        <${Chart} id="chart-production" label="Batches by status" config=${{
          type: "bar",
          data: { labels: statuses.map((s) => s.replace(/_/g, " ")),
            datasets: [{ label: "Batches", data: statuses.map((s) => stats.by_status[s]), backgroundColor: "#0b5cad" }] },
          options: { animation: false, responsive: true, maintainAspectRatio: false, plugins: { legend: { display: false } } },
        }} />
      </section>`}
      ${summary && html`<section class="card" aria-labelledby="quality-title">
        <h2 id="quality-title">Quality</h2>
        <p><a href="#/inspections">Pass rate <strong>${percent(summary.pass_rate)}</strong></a>${" "}
          over <a href="#/inspections">${summary.inspection_count} inspections</a>,
          defect rate ${percent(summary.defect_rate)}</p>
        <${Chart} id="chart-quality" label="Pass rate per day" config=${{
          type: "line",
          data: { labels: trend.map((t) => t.day),
            datasets: [{ label: "Pass rate (%)", data: trend.map((t) => (t.pass_rate ?? 0) * 100), borderColor: "#17643a", backgroundColor: "#17643a" }] },
          options: { animation: false, responsive: true, maintainAspectRatio: false, scales: { y: { min: 0, max: 100 } } },
        }} />
      </section>`}
    </div>
    <div class="grid-2">
      ${overdue && html`<section class="card" aria-labelledby="overdue-title">
        <h2 id="overdue-title"><a href="#/tasks?overdue=true">Overdue tasks (${overdue.total})</a></h2>
        ${overdue.items.length === 0 ? html`<p class="empty">Nothing overdue.</p>` : html`<ul class="plain">
          ${overdue.items.map((t) => html`<li><a href=${`#/tasks/${t.id}`}>${t.title}</a>
            <span class="muted"> due ${t.due_date}</span></li>`)}</ul>`}
      </section>`}
      ${changes && html`<section class="card" aria-labelledby="changes-title">
        <h2 id="changes-title"><a href="#/audit">Recent changes</a></h2>
        ${changes.items.length === 0 ? html`<p class="empty">No changes yet.</p>` : html`<ul class="plain">
          ${changes.items.map((c) => html`<li><span class=${`badge badge-${c.action}`}>${c.event || c.action}</span>
            ${" "}${c.entity} ${c.entity_id ?? ""} <span class="muted">by ${c.actor || "—"}, ${formatValue(c.occurred_at, { name: "occurred_at" })}</span></li>`)}
        </ul>`}
      </section>`}
    </div>`;
}
