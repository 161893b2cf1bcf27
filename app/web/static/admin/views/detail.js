import { html, useState, useEffect, useContext, Session, can, go, Loading, ErrorBox, FieldInput, formatValue, clearReferenceCache } from "../ui.js";
import { api, ApiError } from "../api.js";
import { resourceMeta } from "../meta.js";
import { History } from "./history.js";
import { RecordActions } from "./actions.js";

const SYSTEM = new Set(["id", "created_at", "updated_at", "version"]);

// A write field `<x>_ids` is shown by the read field `<x>s`: a list of {id, name}.
function readNameOf(name) {
  return /_ids$/.test(name) ? `${name.slice(0, -4)}s` : name;
}

function valueOf(name, record) {
  const source = readNameOf(name);
  return source === name ? record[name] : (record[source] || []).map((r) => r.id);
}

// The form's starting values: a read record mapped onto the write schema's fields.
function initialValues(fields, record) {
  const values = {};
  for (const field of fields) {
    if (readNameOf(field.name) in record) values[field.name] = valueOf(field.name, record);
  }
  return values;
}

function changed(values, original) {
  const out = {};
  for (const [name, value] of Object.entries(values)) {
    if (JSON.stringify(value ?? null) !== JSON.stringify(original[name] ?? null)) out[name] = value;
  }
  return out;
}

function Conflict({ conflict, fields, labelOf, onReload, onDismiss }) {
  const names = Object.keys(conflict.mine);
  return html`<div class="alert alert-warning conflict" role="alert">
    <h2>Someone else changed this record</h2>
    <p>It was saved by someone else after you opened it (now version ${conflict.theirs.version}),
      so your changes were not saved. Compare, then reload to start from the saved version.</p>
    <div class="table-wrap"><table>
      <thead><tr><th scope="col">Field</th><th scope="col">Your version</th><th scope="col">Saved version</th></tr></thead>
      <tbody>${names.map((name) => {
        const field = fields.find((f) => f.name === name) || { name, label: labelOf(name) };
        const theirs = valueOf(name, conflict.theirs);
        return html`<tr><th scope="row">${field.label}</th><td>${formatValue(conflict.mine[name], field)}</td>
          <td>${formatValue(theirs, field)}</td></tr>`;
      })}</tbody>
    </table></div>
    <div class="actions">
      <button type="button" class="primary" onClick=${onReload}>Reload</button>
      <button type="button" onClick=${onDismiss}>Keep editing</button>
    </div>
  </div>`;
}

export function ResourceDetail({ resource, id, tab, params }) {
  const { me } = useContext(Session);
  const meta = resourceMeta(resource);
  const isNew = id === "new";
  const fields = isNew ? meta.create : meta.update;
  const [record, setRecord] = useState(null);
  const [etag, setEtag] = useState(null);
  const [values, setValues] = useState(null);
  const [errors, setErrors] = useState({});
  const [error, setError] = useState(null);
  const [notice, setNotice] = useState(null);
  const [conflict, setConflict] = useState(null);
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const mayWrite = can(me, meta.module, isNew ? "create" : "update");
  const mayDelete = can(me, meta.module, "delete");

  async function load() {
    setError(null);
    setConflict(null);
    if (isNew) {
      const start = {};
      for (const field of fields) {
        if (params[field.name] !== undefined) start[field.name] = field.kind === "reference" || field.kind === "integer" ? Number(params[field.name]) : params[field.name];
        else if (field.schema && field.schema.default !== undefined) start[field.name] = field.schema.default;
      }
      setRecord({});
      setValues(start);
      return;
    }
    try {
      const { data, etag: tag } = await api(`${meta.path}/${id}`);
      setRecord(data);
      setEtag(tag);
      setValues(initialValues(fields, data));
      setErrors({});
    } catch (err) {
      setError(err);
    }
  }

  useEffect(() => { load(); }, [resource, id]);

  async function save(event) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setErrors({});
    setNotice(null);
    try {
      if (isNew) {
        const body = {};
        for (const [name, value] of Object.entries(values)) if (value !== null && value !== undefined) body[name] = value;
        const { data } = await api(meta.path, { method: "POST", body });
        clearReferenceCache();
        go(`/${resource}/${data.id}`);
        return;
      }
      const diff = changed(values, initialValues(fields, record));
      if (Object.keys(diff).length === 0) {
        setNotice("Nothing to save.");
        return;
      }
      const { data, etag: tag } = await api(`${meta.path}/${id}`, {
        method: "PATCH", body: diff, headers: { "If-Match": etag },
      });
      clearReferenceCache();
      setRecord(data);
      setEtag(tag);
      setValues(initialValues(fields, data));
      setNotice("Saved.");
    } catch (err) {
      if (err instanceof ApiError && err.status === 412) {
        const { data } = await api(`${meta.path}/${id}`);
        setConflict({ mine: changed(values, initialValues(fields, record)), theirs: data });
      } else if (err instanceof ApiError && err.status === 422 && err.problem.errors) {
        setErrors(err.fieldErrors);
        setError(new Error("Check the highlighted fields."));
      } else {
        setError(err);
      }
    } finally {
      setBusy(false);
    }
  }

  async function remove() {
    setBusy(true);
    try {
      await api(`${meta.path}/${id}`, { method: "DELETE", headers: { "If-Match": etag } });
      clearReferenceCache();
      go(`/${resource}`);
    } catch (err) {
      setConfirming(false);
      if (err instanceof ApiError && err.status === 412) {
        const { data } = await api(`${meta.path}/${id}`);
        setConflict({ mine: {}, theirs: data });
      } else {
        setError(err);
      }
    } finally {
      setBusy(false);
    }
  }

  if (error && !record) return html`<${ErrorBox} error=${error} />`;
  if (!record || !values) return html`<${Loading} />`;
  const title = isNew ? `New ${meta.label.replace(/s$/, "").toLowerCase()}` : meta.titleOf(record);
  const readOnly = meta.read.filter((f) => !fields.some((w) => readNameOf(w.name) === f.name));
  const fieldErrorsOutside = Object.keys(errors).filter((name) => !fields.some((f) => f.name === name));
  return html`<p class="crumbs"><a href=${`#/${resource}`}>${meta.label}</a> › ${title}</p>
    <div class="page-head"><h1>${title}</h1></div>
    ${!isNew && html`<div role="tablist" class="tabs" aria-label="Record views">
      <a role="tab" href=${`#/${resource}/${id}`} aria-selected=${tab !== "history" ? "true" : "false"}>Details</a>
      <a role="tab" href=${`#/${resource}/${id}/history`} aria-selected=${tab === "history" ? "true" : "false"}>History</a>
    </div>`}
    ${tab === "history" && !isNew ? html`<${History} path=${`${meta.path}/${id}/history`} labels=${meta.labels} />` : html`
    <div role=${isNew ? undefined : "tabpanel"}>
      ${conflict && html`<${Conflict} conflict=${conflict} fields=${fields} labelOf=${meta.labelOf} onReload=${load} onDismiss=${() => setConflict(null)} />`}
      ${notice && html`<div class="alert alert-ok" role="status">${notice}</div>`}
      <${ErrorBox} error=${error} />
      ${fieldErrorsOutside.length > 0 && html`<ul class="field-error">${fieldErrorsOutside.map((name) => html`<li>${meta.labelOf(name)}: ${errors[name]}</li>`)}</ul>`}
      ${!isNew && html`<${RecordActions} record=${record} meta=${meta}
        onChanged=${load} onError=${setError} />`}
      <form class="record-form" onSubmit=${save} aria-label=${title}>
        <div class="form-grid">
          ${fields.map((field) => html`<${FieldInput} field=${field} value=${values[field.name]} me=${me}
            disabled=${!mayWrite} error=${errors[field.name]}
            onChange=${(value) => setValues({ ...values, [field.name]: value })} />`)}
        </div>
        ${!isNew && html`<dl class="facts">
          ${readOnly.map((field) => html`<div><dt>${field.label}</dt><dd>${formatValue(record[field.name], field)}</dd></div>`)}
        </dl>`}
        <div class="actions">
          ${mayWrite && html`<button type="submit" class="primary" disabled=${busy}>Save</button>`}
          ${!isNew && mayDelete && !confirming && html`<button type="button" class="danger" onClick=${() => setConfirming(true)}>Delete</button>`}
        </div>
        ${confirming && html`<div class="alert alert-warning" role="alertdialog" aria-labelledby="confirm-title">
          <p id="confirm-title">Delete ${title}? This cannot be undone.</p>
          <div class="actions">
            <button type="button" class="danger" onClick=${remove} disabled=${busy}>Confirm delete</button>
            <button type="button" onClick=${() => setConfirming(false)}>Cancel</button>
          </div>
        </div>`}
      </form>
    </div>`}`;
}
