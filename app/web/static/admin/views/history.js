import { html, useState, useEffect, Loading, ErrorBox, formatValue } from "../ui.js";
import { api, query } from "../api.js";
import { humanize } from "../meta.js";

function show(value) {
  if (value === null || value === undefined) return "—";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

export function Changes({ changes, labels }) {
  const entries = Object.entries(changes || {});
  if (entries.length === 0) return null;
  const pairs = entries.some(([, c]) => c && typeof c === "object" && ("old" in c || "new" in c));
  if (!pairs) {
    // Security events carry details, not before/after pairs.
    return html`<dl class="facts">${entries.map(([name, value]) => html`<div><dt>${humanize(name, labels)}</dt><dd>${show(value)}</dd></div>`)}</dl>`;
  }
  return html`<div class="table-wrap"><table class="diff">
    <thead><tr><th scope="col">Field</th><th scope="col">Before</th><th scope="col">After</th></tr></thead>
    <tbody>${entries.map(([field, change]) => {
      const isPair = change && typeof change === "object" && ("old" in change || "new" in change);
      return html`<tr><th scope="row">${humanize(field, labels)}</th>
        <td class="old">${isPair ? show(change.old) : ""}</td>
        <td class="new">${isPair ? show(change.new) : show(change)}</td></tr>`;
    })}</tbody>
  </table></div>`;
}

export function History({ path, labels }) {
  const [items, setItems] = useState(null);
  const [cursor, setCursor] = useState(null);
  const [error, setError] = useState(null);

  async function load(next) {
    try {
      const { data } = await api(`${path}${query({ cursor: next })}`);
      setItems((old) => (next ? [...(old || []), ...data.items] : data.items));
      setCursor(data.next_cursor);
    } catch (err) {
      setError(err);
    }
  }
  useEffect(() => { setItems(null); load(null); }, [path]);

  if (error) return html`<${ErrorBox} error=${error} />`;
  if (!items) return html`<${Loading} label="Loading history…" />`;
  if (items.length === 0) return html`<p class="empty" role="status">No history yet.</p>`;
  return html`<div role="tabpanel"><ol class="timeline" aria-label="History">
      ${items.map((row) => html`<li class="event">
        <p class="event-head"><span class=${`badge badge-${row.action}`}>${row.event || row.action}</span>
          ${" "}<strong>${row.actor || "unknown"}</strong>
          <span class="muted"> · ${formatValue(row.occurred_at, { name: "occurred_at" })}
            · from ${row.client_ip || "unknown address"}${row.reason ? ` · “${row.reason}”` : ""}</span></p>
        <${Changes} changes=${row.changes} labels=${labels} />
      </li>`)}
    </ol>
    ${cursor && html`<button type="button" onClick=${() => load(cursor)}>Load more</button>`}</div>`;
}
