import { html, useState, useEffect, go, Loading, ErrorBox, formatValue } from "../ui.js";
import { api, query } from "../api.js";
import { auditEntities, resourceConfig } from "../meta.js";
import { Changes } from "./history.js";

// The entity names come from the server (GET /api/v1/meta), so a new module is listed too.
const FILTERS = {
  changes: () => [
    ["entity", "Entity", "select", auditEntities()],
    ["action", "Action", "select", ["create", "update", "delete", "security"]],
    ["event", "Event", "text"],
    ["entity_id", "Record ID", "number"],
    ["actor_id", "Actor ID", "number"],
    ["request_id", "Request ID", "text"],
    ["since", "Since", "datetime-local"],
    ["until", "Until", "datetime-local"],
  ],
  access: () => [
    ["method", "Method", "select", ["GET", "POST", "PATCH", "PUT", "DELETE"]],
    ["status_code", "Status code", "number"],
    ["path", "Path", "text"],
    ["user_id", "User ID", "number"],
    ["request_id", "Request ID", "text"],
    ["since", "Since", "datetime-local"],
    ["until", "Until", "datetime-local"],
  ],
};

function toApi(params) {
  const out = {};
  for (const [name, value] of Object.entries(params)) {
    if (name === "log" || value === "") continue;
    out[name] = (name === "since" || name === "until") && value.length === 16 ? `${value}:00Z` : value;
  }
  return out;
}

export function Audit({ params }) {
  const log = params.log === "access" ? "access" : "changes";
  const [draft, setDraft] = useState(params);
  const [items, setItems] = useState(null);
  const [cursors, setCursors] = useState([null]);
  const [next, setNext] = useState(null);
  const [error, setError] = useState(null);
  const key = JSON.stringify(params);

  async function load(cursor, stack) {
    setItems(null);
    setError(null);
    try {
      const { data } = await api(`/api/v1/audit/${log}${query({ ...toApi(params), limit: 25, cursor })}`);
      setItems(data.items);
      setNext(data.next_cursor);
      setCursors(stack);
    } catch (err) {
      setError(err);
      setItems([]);
    }
  }
  useEffect(() => { setDraft(params); load(null, [null]); }, [key]);

  function apply(event) {
    event.preventDefault();
    const clean = { log };
    for (const [name, value] of Object.entries(draft)) if (value) clean[name] = value;
    go("/audit", { ...clean, log });
  }

  return html`<div class="page-head"><h1>Audit</h1></div>
    <div class="tabs" role="tablist" aria-label="Audit logs">
      <a role="tab" href="#/audit?log=changes" aria-selected=${log === "changes" ? "true" : "false"}>Changes</a>
      <a role="tab" href="#/audit?log=access" aria-selected=${log === "access" ? "true" : "false"}>Access</a>
    </div>
    <form class="toolbar" onSubmit=${apply} aria-label="Audit filters">
      <div class="filter-grid">
        ${FILTERS[log]().map(([name, label, type, options]) => html`<div class="field">
          <label for=${`audit-${name}`}>${label}</label>
          ${type === "select" ? html`<select id=${`audit-${name}`} value=${draft[name] || ""}
              onChange=${(e) => setDraft({ ...draft, [name]: e.target.value })}>
              <option value="">Any</option>${options.map((o) => html`<option value=${o}>${o}</option>`)}</select>`
            : html`<input id=${`audit-${name}`} type=${type} value=${draft[name] || ""}
              onInput=${(e) => setDraft({ ...draft, [name]: e.target.value })} />`}
        </div>`)}
      </div>
      <div class="toolbar-buttons">
        <button type="submit" class="primary">Apply</button>
        <button type="button" onClick=${() => go("/audit", { log })}>Clear</button>
      </div>
    </form>
    <${ErrorBox} error=${error} />
    ${!items && html`<${Loading} />`}
    ${items && items.length === 0 && !error && html`<p class="empty" role="status">No entries match.</p>`}
    ${items && items.length > 0 && (log === "changes" ? html`<ol class="timeline" aria-label="Changes">
      ${items.map((row) => html`<li class="event">
        <p class="event-head"><span class=${`badge badge-${row.action}`}>${row.event || row.action}</span>
          ${" "}${row.entity} ${row.entity_id ?? ""} · <strong>${row.actor || "—"}</strong>
          <span class="muted"> · ${formatValue(row.occurred_at, { name: "occurred_at" })} · from ${row.client_ip || "—"} · request ${row.request_id || "—"}</span></p>
        <${Changes} changes=${row.changes} labels=${(resourceConfig(row.entity) || {}).labels} />
      </li>`)}</ol>` : html`<div class="table-wrap"><table class="list">
      <thead><tr><th scope="col">Time</th><th scope="col">Method</th><th scope="col">Path</th><th scope="col">Status</th>
        <th scope="col">Duration</th><th scope="col">User</th><th scope="col">Address</th></tr></thead>
      <tbody>${items.map((row) => html`<tr>
        <td>${formatValue(row.occurred_at, { name: "occurred_at" })}</td><td>${row.method}</td><td>${row.path}</td>
        <td>${row.status_code}</td><td>${row.duration_ms} ms</td><td>${row.user_id ?? "—"}</td><td>${row.client_ip}</td></tr>`)}</tbody>
    </table></div>`)}
    <nav class="pager" aria-label="Pages">
      <button type="button" disabled=${cursors.length <= 1} onClick=${() => { const stack = cursors.slice(0, -1); load(stack[stack.length - 1], stack); }}>Newer</button>
      <button type="button" disabled=${!next} onClick=${() => load(next, [...cursors, next])}>Older</button>
    </nav>`;
}
