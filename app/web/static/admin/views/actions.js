// Domain actions next to a record's form: batch life cycle, task moves, user accounts.
import { html, useState, useEffect, can, Loading, formatValue } from "../ui.js";
import { api } from "../api.js";

// Mirrors the tasks module's allowed moves; the server still refuses an illegal one (409).
const TASK_MOVES = {
  todo: ["in_progress", "cancelled"],
  in_progress: ["blocked", "done", "todo"],
  blocked: ["in_progress", "cancelled"],
  done: ["todo"],
  cancelled: [],
};
const MOVE_LABELS = {
  in_progress: "Start work", cancelled: "Cancel task", blocked: "Mark blocked",
  done: "Mark done", todo: "Back to to-do",
};

function BatchActions({ record, meta, me, run }) {
  const [reason, setReason] = useState("");
  const [failing, setFailing] = useState(false);
  const mayUpdate = can(me, "production", "update");
  const base = `${meta.path}/${record.id}`;
  return html`<section class="card record-actions" aria-labelledby="batch-actions">
    <h2 id="batch-actions">Batch: <span class=${`badge badge-${record.status}`}>${record.status.replace(/_/g, " ")}</span>
      ${record.quality_score !== null && record.quality_score !== undefined
        && html` <span class="muted">quality score</span> <strong data-testid="quality-score">${Number(record.quality_score).toFixed(2)}</strong>`}</h2>
    <div class="actions">
      ${mayUpdate && record.status === "pending" && html`<button type="button" onClick=${() => run(`${base}/start`)}>Start</button>`}
      ${mayUpdate && record.status === "in_progress" && html`<button type="button" onClick=${() => run(`${base}/complete`)}>Complete</button>`}
      ${mayUpdate && ["pending", "in_progress"].includes(record.status) && html`<button type="button" class="danger" onClick=${() => setFailing(!failing)}>Fail</button>`}
      ${can(me, "quality", "create") && ["in_progress", "completed"].includes(record.status)
        && html`<a class="button" href=${`#/inspections/new?batch_id=${record.id}`}>Record inspection</a>`}
      <a class="button" href=${`#/inspections?batch_id=${record.id}`}>Inspections of this batch</a>
    </div>
    ${failing && html`<form class="inline-form" onSubmit=${(e) => { e.preventDefault(); run(`${base}/fail`, { failure_reason: reason }); }}>
      <div class="field"><label for="failure-reason">Failure reason</label>
        <input id="failure-reason" required value=${reason} onInput=${(e) => setReason(e.target.value)} /></div>
      <button type="submit" class="danger">Confirm failure</button>
    </form>`}
  </section>`;
}

function TaskActions({ record, meta, me, run }) {
  const moves = TASK_MOVES[record.status] || [];
  if (!can(me, "tasks", "update") || moves.length === 0) return null;
  return html`<section class="card record-actions" aria-labelledby="task-actions">
    <h2 id="task-actions">Status: <span class=${`badge badge-${record.status}`}>${record.status.replace(/_/g, " ")}</span></h2>
    <div class="actions">${moves.map((status) => html`<button type="button"
      onClick=${() => run(`${meta.path}/${record.id}`, { status }, "PATCH")}>${MOVE_LABELS[status] || status}</button>`)}</div>
  </section>`;
}

function Sessions({ userId, onError }) {
  const [sessions, setSessions] = useState(null);
  const load = () => api(`/api/v1/users/${userId}/sessions`)
    .then(({ data }) => setSessions(Array.isArray(data) ? data : data.items || []))
    .catch((err) => { setSessions([]); onError(err); });
  useEffect(() => { load(); }, [userId]);
  if (!sessions) return html`<${Loading} label="Loading sessions…" />`;
  return html`<h3>Sessions</h3>
    ${sessions.length === 0 ? html`<p class="empty">No active sessions.</p>` : html`<div class="table-wrap"><table>
      <thead><tr><th scope="col">Started</th><th scope="col">Last used</th><th scope="col">Address</th><th scope="col">Browser</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
      <tbody>${sessions.map((s) => html`<tr>
        <td>${formatValue(s.created_at, { name: "created_at" })}</td><td>${formatValue(s.last_used_at, { name: "last_used_at" })}</td>
        <td>${s.client_ip || "—"}</td><td>${s.user_agent || "—"}</td>
        <td><button type="button" class="danger" onClick=${() => api(`/api/v1/users/${userId}/sessions/${s.id}`, { method: "DELETE" }).then(load).catch(onError)}>Revoke</button></td>
      </tr>`)}</tbody></table></div>`}`;
}

function UserActions({ record, meta, me, run, onError }) {
  if (!can(me, "users", "update")) return null;
  return html`<section class="card record-actions" aria-labelledby="user-actions">
    <h2 id="user-actions">Account: ${record.is_active ? "active" : "deactivated"}</h2>
    <div class="actions">
      ${record.is_active && html`<button type="button" class="danger" onClick=${() => run(`${meta.path}/${record.id}`, { is_active: false }, "PATCH")}>Deactivate</button>`}
      ${!record.is_active && html`<button type="button" onClick=${() => run(`${meta.path}/${record.id}`, { is_active: true }, "PATCH")}>Reactivate</button>`}
    </div>
    ${!record.is_superuser && html`<${Sessions} userId=${record.id} onError=${onError} />`}
  </section>`;
}

export function RecordActions({ resource, record, meta, me, onChanged, onError }) {
  async function run(path, body, method = "POST") {
    try {
      // The version on screen: a record changed meanwhile answers 412, never a silent move.
      const headers = { "If-Match": `"${record.version}"` };
      await api(path, { method, body: body ?? {}, headers });
      await onChanged();
    } catch (err) {
      onError(err);
    }
  }
  const props = { record, meta, me, run, onError };
  if (resource === "batches") return html`<${BatchActions} ...${props} />`;
  if (resource === "tasks") return html`<${TaskActions} ...${props} />`;
  if (resource === "users") return html`<${UserActions} ...${props} />`;
  if (resource === "inspections") {
    return html`<p><a href=${`#/batches/${record.batch_id}`}>Open the inspected batch</a></p>`;
  }
  return null;
}
