// FastOps admin: a single-page app of plain ES modules over the public /api/v1.
import { html, render, useState, useEffect, useRef, Session, can, useRoute, Loading, ErrorBox } from "./ui.js";
import { api, refresh, logout, onSignedOut, hasToken, mayHaveSession } from "./api.js";
import { loadOpenApi, loadMeta, resources, resourceConfig, hasPath } from "./meta.js";
import { Login } from "./views/login.js";
import { Dashboard } from "./views/dashboard.js";
import { ResourceList } from "./views/list.js";
import { ResourceDetail } from "./views/detail.js";
import { Audit } from "./views/audit.js";

function Nav({ me, current }) {
  const links = [["dashboard", "Dashboard", true]];
  for (const config of resources()) {
    links.push([config.key, config.label, hasPath(config.path) && can(me, config.module, "read")]);
  }
  links.push(["audit", "Audit", hasPath("/api/v1/audit/changes") && can(me, "audit", "read")]);
  return html`<nav class="main-nav" aria-label="Main">
    <ul>${links.filter(([, , shown]) => shown).map(([key, label]) => html`<li>
      <a href=${`#/${key}`} aria-current=${current === key ? "page" : undefined}>${label}</a></li>`)}
    </ul></nav>`;
}

function Screen({ route }) {
  const [first, second, third] = route.parts;
  if (!first || first === "dashboard") return html`<${Dashboard} />`;
  if (first === "audit") return html`<${Audit} params=${route.params} />`;
  const config = resourceConfig(first);
  if (!config || !hasPath(config.path)) {
    return html`<h1>Not found</h1><p>There is no screen at this address. <a href="#/dashboard">Go to the dashboard</a>.</p>`;
  }
  if (second) {
    return html`<${ResourceDetail} key=${`${first}/${second}`} resource=${first} id=${second} tab=${third} params=${route.params} />`;
  }
  return html`<${ResourceList} key=${first} resource=${first} params=${route.params} />`;
}

function Shell({ me, onSignOut }) {
  const route = useRoute();
  const main = useRef(null);
  const [signingOut, setSigningOut] = useState(false);
  const [signOutError, setSignOutError] = useState(null);
  async function signOut() {
    setSigningOut(true);
    setSignOutError(null);
    try {
      await onSignOut();
    } catch (err) {
      const why = (err.problem && err.problem.detail) || "Check the connection and try again.";
      setSignOutError(new Error(`You are still signed in: signing out did not complete. ${why}`));
      setSigningOut(false);
    }
  }
  useEffect(() => {
    // Move focus to the new screen so keyboard and screen-reader users follow navigation.
    if (main.current) main.current.focus({ preventScroll: true });
  }, [route.parts.join("/")]);
  return html`<a class="skip" href="#main" onClick=${(e) => { e.preventDefault(); main.current.focus(); }}>Skip to content</a>
    <header class="app-header">
      <a class="brand" href="#/dashboard">FastOps</a>
      <${Nav} me=${me} current=${route.parts[0] || "dashboard"} />
      <div class="user">
        <span class="user-email">${me.email}</span>
        <button type="button" onClick=${signOut} disabled=${signingOut}>Sign out</button>
      </div>
    </header>
    <${ErrorBox} error=${signOutError} />
    <main id="main" tabindex="-1" ref=${main}>
      <${Screen} route=${route} />
    </main>`;
}

function App() {
  const [me, setMe] = useState(undefined);
  const [error, setError] = useState(null);

  async function loadMe() {
    try {
      await loadOpenApi();
      const [{ data }] = await Promise.all([api("/api/v1/auth/me"), loadMeta()]);
      setMe(data);
    } catch (err) {
      if (err.status === 401) setMe(null);
      else setError(err);
    }
  }

  useEffect(() => {
    const stop = onSignedOut(() => setMe(null));
    (async () => {
      await loadOpenApi().catch(setError);
      // A reload keeps no token: the HttpOnly refresh cookie, if any, restores the session.
      if (mayHaveSession() && (await refresh())) await loadMe();
      else setMe(null);
    })();
    return stop;
  }, []);

  if (error) return html`<main id="main"><${ErrorBox} error=${error} /></main>`;
  if (me === undefined) return html`<main id="main" class="boot"><${Loading} label="Loading FastOps admin…" /></main>`;
  if (me === null || !hasToken()) return html`<${Login} onSignedIn=${loadMe} />`;
  return html`<${Session.Provider} value=${{ me, reload: loadMe }}>
    <${Shell} me=${me} onSignOut=${async () => { await logout(); location.hash = "#/dashboard"; }} />
  </${Session.Provider}>`;
}

const root = document.getElementById("app");
root.textContent = "";
render(html`<${App} />`, root);
