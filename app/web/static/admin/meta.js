// What the admin draws comes from the server. GET /api/v1/meta describes each resource the
// signed-in user may read (label, columns, references, labels, actions, title template);
// the OpenAPI document gives its fields, filters and sorts. Nothing here names a resource.
import { api } from "./api.js";

let openapi = null;
let described = null;

export async function loadOpenApi() {
  if (!openapi) {
    const response = await fetch("/openapi.json", { credentials: "same-origin" });
    openapi = await response.json();
  }
  return openapi;
}

// Per user: called at every sign-in, so another user in the same tab gets their own screens.
export async function loadMeta() {
  const { data } = await api("/api/v1/meta");
  described = data;
  return data;
}

export function resources() {
  return described ? described.resources : [];
}

export function resourceConfig(key) {
  return resources().find((resource) => resource.key === key) || null;
}

// The audit trail's entity names, screens first, then the others (security events).
export function auditEntities() {
  return described ? described.entities : [];
}

export function humanize(name, labels = {}) {
  const known = labels[name] || (described && described.labels[name]);
  if (known) return known;
  const words = name.replace(/_/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

// "{sku} · {name}" with the record's values; the server sends templates, never code.
export function fill(template, record) {
  return template.replace(/\{(\w+)\}/g, (_, name) => String(record[name] ?? ""));
}

// {field: [values]}: true when every named field holds one of its values.
export function matches(when, record) {
  return Object.entries(when || {}).every(([name, values]) => values.includes(record[name]));
}

function resolve(schema) {
  if (schema && schema.$ref) {
    return openapi.components.schemas[schema.$ref.split("/").pop()] || {};
  }
  return schema || {};
}

// Collapse `anyOf: [X, null]` and $refs into one plain descriptor.
function describe(name, raw, required, config) {
  let schema = resolve(raw);
  let nullable = false;
  const options = schema.anyOf || schema.oneOf;
  if (options) {
    const rest = options.filter((option) => option.type !== "null");
    nullable = rest.length < options.length;
    const numberish = rest.some((o) => o.type === "number") && rest.some((o) => o.type === "string");
    schema = numberish ? { type: "string", decimal: true, ...rest.find((o) => o.type === "string") }
      : { ...resolve(rest[0]), description: schema.description };
  }
  let kind = schema.type || "string";
  if (schema.enum) kind = "enum";
  else if (schema.decimal) kind = "decimal";
  else if (kind === "string" && schema.format === "date") kind = "date";
  else if (kind === "string" && schema.format === "date-time") kind = "datetime";
  else if (kind === "string" && schema.format === "password") kind = "password";
  else if (kind === "string" && (schema.maxLength || 0) > 500) kind = "text";
  if (name === "password") kind = "password";
  if (config.widgets[name]) kind = config.widgets[name];
  const target = config.references[name] || null;
  if (target && kind === "integer") kind = "reference";
  return {
    name, kind, nullable, required: required.includes(name), label: humanize(name, config.labels),
    options: schema.enum || null, schema, description: raw && raw.description, target,
  };
}

function fieldsOf(schemaName, config) {
  const schema = openapi.components.schemas[schemaName];
  if (!schema) return [];
  const required = schema.required || [];
  return Object.entries(schema.properties || {})
    .map(([name, raw]) => describe(name, raw, required, config));
}

const PAGING = new Set(["page", "size", "sort", "q", "format"]);

export function resourceMeta(key) {
  const config = resourceConfig(key);
  const list = (openapi.paths[config.path] || {}).get || {};
  const filters = (list.parameters || [])
    .filter((p) => p.in === "query" && !PAGING.has(p.name))
    .map((p) => describe(p.name, p.schema, [], config));
  const read = fieldsOf(`${config.schema_name}Read`, config);
  const columns = config.columns
    .map((name) => read.find((f) => f.name === name))
    .filter(Boolean);
  return {
    ...config,
    titleOf: (record) => fill(config.title, record),
    labelOf: (name) => humanize(name, config.labels),
    create: fieldsOf(`${config.schema_name}Create`, config),
    update: fieldsOf(`${config.schema_name}Update`, config),
    read,
    columns: columns.length ? columns : read.slice(0, 6),
    filters,
    sorts: list["x-sort-fields"] || [],
    searchable: (list.parameters || []).some((p) => p.name === "q"),
    available: Boolean(openapi.paths[config.path]),
  };
}

export function hasPath(path) {
  return Boolean(openapi && openapi.paths[path]);
}
