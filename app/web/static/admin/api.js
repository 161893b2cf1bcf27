// The admin UI's only way to the server: /api/v1 with the access token held in memory.
// The refresh token is an HttpOnly cookie the page never sees (X-Auth-Mode: cookie).

const AUTH = "/api/v1/auth";
// Only a hint that a refresh cookie may exist (never a token), so a first visit does not
// start with a refresh that can only fail.
const HINT = "fastops.session";
let accessToken = null;
let refreshing = null;
const listeners = new Set();

export class ApiError extends Error {
  constructor(status, problem) {
    super((problem && (problem.detail || problem.title)) || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
  }
  // {field: message} from problem+json `errors` ([{loc: ["body", "sku"], msg}]).
  get fieldErrors() {
    const out = {};
    for (const error of this.problem.errors || []) {
      const loc = (error.loc || []).filter((part) => part !== "body");
      const field = loc.length ? String(loc[0]) : "_";
      out[field] = out[field] ? `${out[field]} ${error.msg}` : error.msg;
    }
    return out;
  }
}

export function onSignedOut(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function remember(signedIn) {
  try {
    if (signedIn) localStorage.setItem(HINT, "1");
    else localStorage.removeItem(HINT);
  } catch {
    // Storage may be disabled; the only cost is one refresh attempt on the next visit.
  }
}

export function mayHaveSession() {
  try {
    return localStorage.getItem(HINT) === "1";
  } catch {
    return true;
  }
}

function signedOut() {
  accessToken = null;
  remember(false);
  for (const listener of listeners) listener();
}

async function parse(response) {
  const type = response.headers.get("content-type") || "";
  if (response.status === 204) return null;
  if (type.includes("json")) return response.json();
  return response.text();
}

async function refreshOnce() {
  const response = await fetch(`${AUTH}/refresh`, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-Auth-Mode": "cookie" },
    body: "{}",
  });
  if (!response.ok) {
    remember(false);
    return false;
  }
  const data = await response.json();
  accessToken = data.access_token;
  remember(true);
  return true;
}

// Single flight within the tab (one promise) and across tabs (a Web Lock): the refresh
// cookie rotates on every use, so two refreshes with the same cookie would look like theft.
export function refresh() {
  if (!refreshing) {
    const run = navigator.locks
      ? navigator.locks.request("fastops-refresh", refreshOnce)
      : refreshOnce();
    refreshing = run.catch(() => false).finally(() => {
      refreshing = null;
    });
  }
  return refreshing;
}

export async function login(email, password) {
  const body = new URLSearchParams({ username: email, password });
  const response = await fetch(`${AUTH}/login`, {
    method: "POST",
    credentials: "same-origin",
    headers: { "X-Auth-Mode": "cookie" },
    body,
  });
  const data = await parse(response);
  if (!response.ok) throw new ApiError(response.status, data);
  accessToken = data.access_token;
  remember(true);
}

// Signed out only once the server says so: the refresh cookie names the session, so the
// server ends it even when the access token has expired. A 401 means there was no session
// left to end. Any other answer (offline, 5xx) throws and leaves the user signed in, so the
// screen never claims "signed out" while the cookie could still sign them back in.
export async function logout() {
  const response = await fetch(`${AUTH}/logout`, {
    method: "POST",
    credentials: "same-origin",
    headers: {
      "X-Auth-Mode": "cookie",
      "Content-Type": "application/json",
      ...(accessToken ? { Authorization: `Bearer ${accessToken}` } : {}),
    },
    body: "{}",
  });
  if (!response.ok && response.status !== 401) {
    throw new ApiError(response.status, await parse(response).catch(() => null));
  }
  signedOut();
}

export function hasToken() {
  return accessToken !== null;
}

/**
 * Call the API. Returns {data, status, etag, response}; throws ApiError for 4xx/5xx.
 * A 401 triggers one refresh and one retry; a second 401 signs the user out.
 */
export async function api(path, { method = "GET", body, headers = {}, raw = false } = {}) {
  const send = () => {
    const init = { method, credentials: "same-origin", headers: { ...headers } };
    if (accessToken) init.headers.Authorization = `Bearer ${accessToken}`;
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(path, init);
  };
  let response = await send();
  if (response.status === 401) {
    if (await refresh()) {
      response = await send();
    }
    if (response.status === 401) {
      signedOut();
    }
  }
  if (raw && response.ok) return { response, status: response.status };
  const data = await parse(response);
  if (!response.ok) throw new ApiError(response.status, data);
  return { data, status: response.status, etag: response.headers.get("etag"), response };
}

export function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") search.set(key, value);
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}
