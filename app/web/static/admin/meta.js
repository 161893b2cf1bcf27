// Resource metadata: fields, filters and sorts come from the OpenAPI document; this file
// only adds what a schema cannot say (labels people read, list columns, reference targets).

export const RESOURCES = {
  products: {
    label: "Products", path: "/api/v1/products", schema: "Product", module: "products",
    columns: ["sku", "name", "category", "price", "stock", "is_active"],
    title: (r) => `${r.sku} · ${r.name}`,
  },
  customers: {
    label: "Customers", path: "/api/v1/customers", schema: "Customer", module: "customers",
    columns: ["name", "email", "company", "status"],
    title: (r) => r.name,
  },
  tasks: {
    label: "Tasks", path: "/api/v1/tasks", schema: "Task", module: "tasks",
    columns: ["title", "status", "priority", "due_date", "assignee_id"],
    title: (r) => r.title,
  },
  batches: {
    label: "Batches", path: "/api/v1/production/batches", schema: "Batch", module: "production",
    columns: ["batch_number", "product_id", "quantity", "status", "quality_score"],
    title: (r) => r.batch_number,
  },
  inspections: {
    label: "Inspections", path: "/api/v1/quality/inspections", schema: "Inspection",
    module: "quality",
    columns: ["batch_id", "inspected_at", "sample_size", "defects_found", "score", "result"],
    title: (r) => `Inspection ${r.id}`,
  },
  users: {
    label: "Users", path: "/api/v1/users", schema: "User", module: "users",
    columns: ["email", "full_name", "is_active", "is_superuser", "roles"],
    title: (r) => r.email,
  },
  roles: {
    label: "Roles", path: "/api/v1/roles", schema: "Role", module: "roles",
    columns: ["name", "description"],
    title: (r) => r.name,
  },
};

// Which resource an id field points at, so forms offer a choice instead of a bare number.
export const REFERENCES = {
  product_id: "products",
  customer_id: "customers",
  assignee_id: "users",
  inspector_id: "users",
  batch_id: "batches",
  actor_id: "users",
  user_id: "users",
};

const LABELS = {
  id: "ID", sku: "SKU", is_active: "Active", is_superuser: "Superuser", role_ids: "Roles",
  full_name: "Full name", product_id: "Product", customer_id: "Customer", assignee_id: "Assignee",
  inspector_id: "Inspector", batch_id: "Batch", due_date: "Due date", due_before: "Due before",
  due_after: "Due after", min_price: "Min price", max_price: "Max price", date_from: "From",
  date_to: "To", created_at: "Created", updated_at: "Updated", batch_number: "Batch number",
  quality_score: "Quality score", failure_reason: "Failure reason", sample_size: "Sample size",
  defects_found: "Defects found", inspected_at: "Inspected at", created_by: "Created by",
  completed_at: "Completed at", started_at: "Started at", q: "Search", actor_id: "Actor",
  entity_id: "Record ID", status_code: "Status code", user_id: "User", request_id: "Request ID",
};

export function humanize(name) {
  if (LABELS[name]) return LABELS[name];
  const words = name.replace(/_/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

let openapi = null;

export async function loadOpenApi() {
  if (!openapi) {
    const response = await fetch("/openapi.json", { credentials: "same-origin" });
    openapi = await response.json();
  }
  return openapi;
}

function resolve(schema) {
  if (schema && schema.$ref) {
    return openapi.components.schemas[schema.$ref.split("/").pop()] || {};
  }
  return schema || {};
}

// Collapse `anyOf: [X, null]` and $refs into one plain descriptor.
function describe(name, raw, required) {
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
  if (name === "role_ids") kind = "roles";
  if (name === "permissions") kind = "permissions";
  if (REFERENCES[name] && kind === "integer") kind = "reference";
  return {
    name, kind, nullable, required: required.includes(name), label: humanize(name),
    options: schema.enum || null, schema, description: raw && raw.description,
  };
}

function fieldsOf(schemaName) {
  const schema = openapi.components.schemas[schemaName];
  if (!schema) return [];
  const required = schema.required || [];
  return Object.entries(schema.properties || {}).map(([name, raw]) => describe(name, raw, required));
}

const PAGING = new Set(["page", "size", "sort", "q", "format"]);

export function resourceMeta(key) {
  const config = RESOURCES[key];
  const list = (openapi.paths[config.path] || {}).get || {};
  const filters = (list.parameters || [])
    .filter((p) => p.in === "query" && !PAGING.has(p.name))
    .map((p) => describe(p.name, p.schema, []));
  const read = fieldsOf(`${config.schema}Read`);
  const columns = config.columns
    .map((name) => read.find((f) => f.name === name))
    .filter(Boolean);
  return {
    key,
    ...config,
    create: fieldsOf(`${config.schema}Create`),
    update: fieldsOf(`${config.schema}Update`),
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
