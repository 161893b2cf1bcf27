import { html, useState } from "../ui.js";
import { login } from "../api.js";

export function Login({ onSignedIn }) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);

  async function submit(event) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await login(email, password);
      await onSignedIn();
    } catch (err) {
      if (err.status === 401) setError("Wrong email or password.");
      else if (err.status === 429) setError("Too many attempts. Wait a few minutes, then try again.");
      else if (err.status === 422) setError("Enter your email and password.");
      else setError(err.message || "Sign-in failed.");
    } finally {
      setBusy(false);
    }
  }

  return html`<main id="main" class="login">
    <form class="card login-card" onSubmit=${submit} aria-labelledby="login-title">
      <h1 id="login-title">Sign in to FastOps</h1>
      ${error && html`<div class="alert alert-error" role="alert">${error}</div>`}
      <div class="field">
        <label for="login-email">Email</label>
        <input id="login-email" type="email" autocomplete="username" required
          value=${email} onInput=${(e) => setEmail(e.target.value)} />
      </div>
      <div class="field">
        <label for="login-password">Password</label>
        <input id="login-password" type="password" autocomplete="current-password" required
          value=${password} onInput=${(e) => setPassword(e.target.value)} />
      </div>
      <button type="submit" class="primary" disabled=${busy}>Sign in</button>
      <p class="small"><a href="/">Back to the FastOps home page</a></p>
    </form>
  </main>`;
}
