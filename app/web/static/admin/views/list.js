import { html, useState, useEffect, useContext, Session, can, go, Loading, ErrorBox, FieldInput, formatValue } from "../ui.js";
import { api, query } from "../api.js";
import { resourceMeta } from "../meta.js";

const PAGE_SIZE = 20;

function sortState(sort, field) {
  if (sort === field) return "ascending";
  if (sort === `-${field}`) return "descending";
  return "none";
}

export function ResourceList({ resource, params }) {
  const { me } = useContext(Session);
  const meta = resourceMeta(resource);
  const [data, setData] = useState(null);
  const [error, setError] = useState(null);
  const [draft, setDraft] = useState(params);
  const [exporting, setExporting] = useState(false);
  const page = Number(params.page || 1);
  const key = JSON.stringify(params);

  useEffect(() => {
    setDraft(params);
    setData(null);
    setError(null);
    api(`${meta.path}${query({ ...params, size: PAGE_SIZE })}`)
      .then(({ data: body }) => setData(body))
      .catch((err) => setError(err));
  }, [resource, key]);

  const filterParams = () => {
    const out = {};
    for (const [name, value] of Object.entries(params)) if (name !== "page") out[name] = value;
    return out;
  };

  function applyFilters(event) {
    event.preventDefault();
    const next = {};
    for (const [name, value] of Object.entries(draft)) {
      if (value !== null && value !== "" && name !== "page") next[name] = value;
    }
    go(`/${resource}`, next);
  }

  function sortBy(field) {
    const next = params.sort === field ? `-${field}` : field;
    go(`/${resource}`, { ...filterParams(), sort: next });
  }

  async function exportCsv() {
    setExporting(true);
    setError(null);
    try {
      const { response } = await api(`${meta.path}${query({ ...filterParams(), format: "csv" })}`, {
        headers: { Accept: "text/csv" }, raw: true,
      });
      const blob = await response.blob();
      const link = document.createElement("a");
      link.href = URL.createObjectURL(blob);
      link.download = `${resource}.csv`;
      document.body.appendChild(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
    } catch (err) {
      setError(err);
    } finally {
      setExporting(false);
    }
  }

  const activeFilters = meta.filters.filter((f) => params[f.name] !== undefined).length;
  return html`<div class="page-head">
      <h1>${meta.label}</h1>
      <div class="actions">
        ${can(me, meta.module, "create") && html`<a class="button primary" href=${`#/${resource}/new`}>New</a>`}
        <button type="button" onClick=${exportCsv} disabled=${exporting}>Export CSV</button>
      </div>
    </div>
    <form class="toolbar" onSubmit=${applyFilters} role="search" aria-label=${`Search ${meta.label}`}>
      ${meta.searchable && html`<div class="field">
        <label for="list-q">Search</label>
        <input id="list-q" type="search" value=${draft.q || ""}
          onInput=${(e) => setDraft({ ...draft, q: e.target.value })} />
      </div>`}
      ${meta.filters.length > 0 && html`<details class="filters" open=${activeFilters > 0}>
        <summary>Filters${activeFilters ? ` (${activeFilters})` : ""}</summary>
        <div class="filter-grid">
          ${meta.filters.map((field) => html`<${FieldInput}
            field=${{ ...field, kind: field.kind === "boolean" ? "enum" : field.kind, options: field.kind === "boolean" ? ["true", "false"] : field.options, required: false, nullable: true }}
            value=${draft[field.name] ?? null} me=${me}
            onChange=${(value) => setDraft({ ...draft, [field.name]: value })} />`)}
        </div>
      </details>`}
      <div class="toolbar-buttons">
        <button type="submit" class="primary">Apply</button>
        <button type="button" onClick=${() => go(`/${resource}`)}>Clear</button>
      </div>
    </form>
    <${ErrorBox} error=${error} />
    ${!data && !error && html`<${Loading} />`}
    ${data && data.items.length === 0 && html`<p class="empty" role="status">No ${meta.label.toLowerCase()} match.</p>`}
    ${data && data.items.length > 0 && html`<div class="table-wrap"><table class="list">
      <caption class="sr-only">${meta.label}: ${data.total} records</caption>
      <thead><tr>
        ${meta.columns.map((column) => {
          const sortable = meta.sorts.includes(column.name);
          const state = sortState(params.sort, column.name);
          return html`<th scope="col" aria-sort=${sortable ? state : undefined}>
            ${sortable ? html`<button type="button" class="sort" onClick=${() => sortBy(column.name)}>
              ${column.label}<span aria-hidden="true">${state === "ascending" ? " ▲" : state === "descending" ? " ▼" : ""}</span></button>`
              : column.label}</th>`;
        })}
      </tr></thead>
      <tbody>${data.items.map((row) => html`<tr>
        ${meta.columns.map((column, index) => html`<td data-label=${column.label}>
          ${index === 0 ? html`<a href=${`#/${resource}/${row.id}`}>${formatValue(row[column.name], column)}</a>`
            : formatValue(row[column.name], column)}</td>`)}
      </tr>`)}</tbody>
    </table></div>
    <nav class="pager" aria-label="Pages">
      <button type="button" disabled=${page <= 1} onClick=${() => go(`/${resource}`, { ...filterParams(), page: page - 1 })}>Previous</button>
      <span>Page ${data.page} of ${Math.max(data.pages, 1)} · ${data.total} records</span>
      <button type="button" disabled=${page >= data.pages} onClick=${() => go(`/${resource}`, { ...filterParams(), page: page + 1 })}>Next</button>
    </nav>`}`;
}
