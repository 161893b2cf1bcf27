// Small shared pieces: the preact/htm bindings, routing helpers, formatting, form fields.
import {
  html, render, useState, useEffect, useRef, useMemo, useCallback, createContext, useContext,
} from "../vendor/htm/standalone.module.js";
import { api, query } from "./api.js";
import { resourceConfig, fill } from "./meta.js";

export { html, render, useState, useEffect, useRef, useMemo, useCallback, useContext };

export const Session = createContext(null);

export function can(me, module, action) {
  if (!me) return false;
  if (me.is_superuser) return true;
  const perms = me.permissions || [];
  return perms.includes(`${module}:${action}`);
}

export function parseHash() {
  const raw = location.hash.replace(/^#/, "") || "/dashboard";
  const [path, search = ""] = raw.split("?");
  const parts = path.split("/").filter(Boolean);
  return { parts, params: Object.fromEntries(new URLSearchParams(search)) };
}

export function go(path, params = {}) {
  location.hash = `#${path}${query(params)}`;
}

export function useRoute() {
  const [route, setRoute] = useState(parseHash());
  useEffect(() => {
    const update = () => setRoute(parseHash());
    window.addEventListener("hashchange", update);
    // The hash may have changed between the first render and this subscription.
    update();
    return () => window.removeEventListener("hashchange", update);
  }, []);
  return route;
}

export function formatValue(value, field) {
  if (value === null || value === undefined || value === "") return "—";
  if (typeof value === "boolean") return value ? "Yes" : "No";
  if (Array.isArray(value)) {
    return value.map((v) => (typeof v === "object" ? v.name || v.id : v)).join(", ") || "—";
  }
  if (typeof value === "object") return JSON.stringify(value);
  if (field && field.kind === "datetime" || /_at$/.test(field ? field.name : "")) {
    const date = new Date(value);
    if (!Number.isNaN(date.getTime())) return date.toISOString().replace("T", " ").slice(0, 16) + " UTC";
  }
  if (typeof value === "number" && !Number.isInteger(value)) return value.toFixed(2);
  return String(value);
}

export function Loading({ label = "Loading…" }) {
  return html`<p class="loading" role="status"><span class="spinner" aria-hidden="true"></span>${label}</p>`;
}

export function ErrorBox({ error }) {
  if (!error) return null;
  return html`<div class="alert alert-error" role="alert">${error.message || String(error)}</div>`;
}

const refCache = new Map();

// A select of the referenced resource's records (the first 100), or a number input when the
// user may not read that resource (the server then did not describe it).
function ReferenceInput({ field, value, onChange, disabled, id, invalid }) {
  const target = resourceConfig(field.target);
  const path = target ? target.path : null;
  const [options, setOptions] = useState((path && refCache.get(path)) || null);
  useEffect(() => {
    if (options || !path) return;
    api(`${path}?size=100`).then(({ data }) => {
      refCache.set(path, data.items);
      setOptions(data.items);
    }).catch(() => setOptions(false));
  }, [path]);
  useEffect(() => {
    // The current value may lie beyond the first page: fetch it so the select can show it.
    if (!options || !value || options.some((r) => r.id === value)) return;
    api(`${path}/${value}`).then(({ data }) => setOptions([data, ...options])).catch(() => {});
  }, [options, value]);
  if (!options) {
    return html`<input id=${id} type="number" min="1" value=${value ?? ""} disabled=${disabled}
      aria-invalid=${invalid} onInput=${(e) => onChange(e.target.value === "" ? null : Number(e.target.value))} />`;
  }
  return html`<select id=${id} value=${value ?? ""} disabled=${disabled} aria-invalid=${invalid}
      onChange=${(e) => onChange(e.target.value === "" ? null : Number(e.target.value))}>
    <option value="">—</option>
    ${options.map((r) => html`<option value=${r.id}>${fill(target.title, r)} (#${r.id})</option>`)}
  </select>`;
}

export function clearReferenceCache() {
  refCache.clear();
}

function RolesInput({ value, onChange, disabled, id }) {
  const [roles, setRoles] = useState(null);
  useEffect(() => {
    api("/api/v1/roles?size=100").then(({ data }) => setRoles(data.items)).catch(() => setRoles([]));
  }, []);
  if (!roles) return html`<${Loading} />`;
  const chosen = new Set(value || []);
  const toggle = (roleId) => {
    const next = new Set(chosen);
    if (next.has(roleId)) next.delete(roleId); else next.add(roleId);
    onChange([...next].sort((a, b) => a - b));
  };
  return html`<fieldset id=${id} class="checks"><legend>Roles</legend>
    ${roles.length === 0 && html`<p>No roles yet.</p>`}
    ${roles.map((role) => html`<label class="check">
      <input type="checkbox" checked=${chosen.has(role.id)} disabled=${disabled}
        onChange=${() => toggle(role.id)} /> ${role.name}</label>`)}
  </fieldset>`;
}

function PermissionMatrix({ value, onChange, disabled, me }) {
  const [catalogue, setCatalogue] = useState(null);
  useEffect(() => {
    api("/api/v1/permissions").then(({ data }) => setCatalogue(data)).catch(() => setCatalogue([]));
  }, []);
  if (!catalogue) return html`<${Loading} />`;
  const modules = [...new Set(catalogue.map((p) => p.module))];
  const order = ["read", "create", "update", "delete"];
  const rank = (action) => (order.includes(action) ? order.indexOf(action) : order.length);
  const actions = [...new Set(catalogue.map((p) => p.action))]
    .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  const names = new Set(catalogue.map((p) => p.name));
  const chosen = new Set(value || []);
  const toggle = (name) => {
    const next = new Set(chosen);
    if (next.has(name)) next.delete(name); else next.add(name);
    onChange([...next].sort());
  };
  return html`<div class="table-wrap"><table class="matrix">
    <caption>Permissions: modules × actions</caption>
    <thead><tr><th scope="col">Module</th>${actions.map((a) => html`<th scope="col">${a}</th>`)}</tr></thead>
    <tbody>${modules.map((module) => html`<tr><th scope="row">${module}</th>
      ${actions.map((action) => {
        const name = `${module}:${action}`;
        if (!names.has(name)) return html`<td></td>`;
        const grantable = me.is_superuser || (me.permissions || []).includes(name);
        return html`<td><input type="checkbox" aria-label=${name} checked=${chosen.has(name)}
          disabled=${disabled || !grantable} onChange=${() => toggle(name)} /></td>`;
      })}</tr>`)}
    </tbody></table></div>`;
}

export function FieldInput({ field, value, onChange, disabled, error, me }) {
  const id = `field-${field.name}`;
  const errorId = `${id}-error`;
  const invalid = error ? "true" : undefined;
  const described = error ? errorId : undefined;
  let input;
  const common = { id, disabled, "aria-invalid": invalid, "aria-describedby": described };
  switch (field.kind) {
    case "boolean":
      return html`<div class="field field-check">
        <label class="check"><input ...${common} type="checkbox" checked=${Boolean(value)}
          onChange=${(e) => onChange(e.target.checked)} /> ${field.label}</label>
        ${error && html`<p class="field-error" id=${errorId}>${error}</p>`}
      </div>`;
    case "enum":
      input = html`<select ...${common} value=${value ?? ""} onChange=${(e) => onChange(e.target.value || null)}>
        ${(field.nullable || !field.required) && html`<option value="">—</option>`}
        ${field.options.map((o) => html`<option value=${o}>${String(o).replace(/_/g, " ")}</option>`)}
      </select>`;
      break;
    case "integer":
    case "number":
      input = html`<input ...${common} type="number" step=${field.kind === "integer" ? "1" : "any"}
        value=${value ?? ""} onInput=${(e) => onChange(e.target.value === "" ? null : Number(e.target.value))} />`;
      break;
    case "decimal":
      input = html`<input ...${common} type="text" inputmode="decimal" value=${value ?? ""}
        onInput=${(e) => onChange(e.target.value === "" ? null : e.target.value)} />`;
      break;
    case "date":
      input = html`<input ...${common} type="date" value=${value ?? ""}
        onInput=${(e) => onChange(e.target.value || null)} />`;
      break;
    case "datetime":
      input = html`<input ...${common} type="datetime-local"
        value=${value ? String(value).slice(0, 16) : ""}
        onInput=${(e) => onChange(e.target.value ? `${e.target.value}:00Z` : null)} />`;
      break;
    case "text":
      input = html`<textarea ...${common} rows="3" value=${value ?? ""}
        onInput=${(e) => onChange(e.target.value === "" ? null : e.target.value)}></textarea>`;
      break;
    case "password":
      input = html`<input ...${common} type="password" autocomplete="new-password" value=${value ?? ""}
        onInput=${(e) => onChange(e.target.value || null)} />`;
      break;
    case "reference":
      input = html`<${ReferenceInput} field=${field} value=${value} onChange=${onChange}
        disabled=${disabled} id=${id} invalid=${invalid} />`;
      break;
    case "roles":
      return html`<div class="field field-wide">
        <${RolesInput} value=${value} onChange=${onChange} disabled=${disabled} id=${id} />
        ${error && html`<p class="field-error" id=${errorId}>${error}</p>`}
      </div>`;
    case "permissions":
      return html`<div class="field field-wide">
        <${PermissionMatrix} value=${value} onChange=${onChange} disabled=${disabled} me=${me} />
        ${error && html`<p class="field-error" id=${errorId}>${error}</p>`}
      </div>`;
    default:
      input = html`<input ...${common} type=${field.name === "email" ? "email" : "text"}
        value=${value ?? ""} onInput=${(e) => onChange(e.target.value === "" ? null : e.target.value)} />`;
  }
  return html`<div class=${`field${field.kind === "text" || field.kind === "roles" ? " field-wide" : ""}`}>
    <label for=${id}>${field.label}${field.required ? html`<span aria-hidden="true"> *</span>` : ""}</label>
    ${input}
    ${error && html`<p class="field-error" id=${errorId}>${error}</p>`}
  </div>`;
}
