// The buttons, links and panels next to a record's form, as its module describes them
// (GET /api/v1/meta). The server sends only those the user's permissions allow; the record's
// state picks which show, and the server still refuses a move its state forbids (409).
import { html, useState, useEffect, Loading, formatValue } from "../ui.js";
import { api } from "../api.js";
import { fill, humanize, matches } from "../meta.js";

function Sessions({ path, onError }) {
  const [sessions, setSessions] = useState(null);
  const load = () => api(path)
    .then(({ data }) => setSessions(Array.isArray(data) ? data : data.items || []))
    .catch((err) => { setSessions([]); onError(err); });
  useEffect(() => { load(); }, [path]);
  if (!sessions) return html`<${Loading} label="Loading sessions…" />`;
  return html`<h3>Sessions</h3>
    ${sessions.length === 0 ? html`<p class="empty">No active sessions.</p>` : html`<div class="table-wrap"><table>
      <thead><tr><th scope="col">Started</th><th scope="col">Last used</th><th scope="col">Address</th><th scope="col">Browser</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
      <tbody>${sessions.map((s) => html`<tr>
        <td>${formatValue(s.created_at, { name: "created_at" })}</td><td>${formatValue(s.last_used_at, { name: "last_used_at" })}</td>
        <td>${s.client_ip || "—"}</td><td>${s.user_agent || "—"}</td>
        <td><button type="button" class="danger" onClick=${() => api(`${path}/${s.id}`, { method: "DELETE" }).then(load).catch(onError)}>Revoke</button></td>
      </tr>`)}</tbody></table></div>`}`;
}

// The generic widgets a module's panel may name.
const WIDGETS = { sessions: Sessions };

function fact(name, value, labels) {
  if (value === null || value === undefined) return null;
  const shown = typeof value === "number" ? value.toFixed(2) : formatValue(value, { name });
  return html` <span class="muted">${humanize(name, labels).toLowerCase()}</span> <strong
    data-testid=${name.replace(/_/g, "-")}>${shown}</strong>`;
}

function StateHeading({ state, record, labels }) {
  const value = record[state.field];
  const words = state.words[String(value)];
  return html`<h2 id="record-actions-title">${state.heading}: ${words
    ?? html`<span class=${`badge badge-${value}`}>${String(value).replace(/_/g, " ")}</span>`}
    ${state.facts.map((name) => fact(name, record[name], labels))}</h2>`;
}

export function RecordActions({ record, meta, onChanged, onError }) {
  const [asking, setAsking] = useState(null);
  const [values, setValues] = useState({});
  const base = `${meta.path}/${record.id}`;
  const actions = meta.actions.filter((action) => matches(action.when, record));
  const links = meta.links.filter((link) => matches(link.when, record));
  const panels = meta.panels.filter((panel) => matches(panel.when, record) && WIDGETS[panel.widget]);
  if (actions.length + links.length + panels.length === 0) return null;

  async function run(action, extra = {}) {
    try {
      // The version on screen: a record changed meanwhile answers 412, never a silent move.
      const headers = { "If-Match": `"${record.version}"` };
      await api(`${base}${action.path}`, { method: action.method, body: { ...action.body, ...extra }, headers });
      setAsking(null);
      setValues({});
      await onChanged();
    } catch (err) {
      onError(err);
    }
  }

  const open = asking === null ? null : actions.find((action) => action.label === asking);
  return html`<section class="card record-actions" aria-labelledby=${meta.state ? "record-actions-title" : undefined}>
    ${meta.state && html`<${StateHeading} state=${meta.state} record=${record} labels=${meta.labels} />`}
    <div class="actions">
      ${actions.map((action) => html`<button type="button" class=${action.danger ? "danger" : undefined}
        onClick=${() => (action.fields.length ? setAsking(asking === action.label ? null : action.label) : run(action))}>${action.label}</button>`)}
      ${links.map((link) => html`<a class="button" href=${`#/${fill(link.to, record)}`}>${link.label}</a>`)}
    </div>
    ${open && html`<form class="inline-form" onSubmit=${(e) => { e.preventDefault(); run(open, values); }}>
      ${open.fields.map((name) => html`<div class="field"><label for=${`action-${name}`}>${humanize(name, meta.labels)}</label>
        <input id=${`action-${name}`} required value=${values[name] || ""}
          onInput=${(e) => setValues({ ...values, [name]: e.target.value })} /></div>`)}
      <button type="submit" class=${open.danger ? "danger" : undefined}>${open.confirm || open.label}</button>
    </form>`}
    ${panels.map((panel) => {
      const Widget = WIDGETS[panel.widget];
      return html`<${Widget} path=${`${base}${panel.path}`} onError=${onError} />`;
    })}
  </section>`;
}
