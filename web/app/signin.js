import { useEffect, useRef, useState } from "preact/hooks";
import { html } from "./html.js";
import { LanguageSwitch } from "./widgets.js";

function message(t, error) {
  switch (error.kind) {
    case "wrong": return t("errWrongPassword");
    case "rules": return t("errPasswordRules", { detail: error.detail });
    case "reset": return t("errResetRequired");
    case "unreachable": return t("errUnreachable");
    case "throttled": return t("errTooMany");
    default: return t("errGeneric", { detail: error.detail || String(error) });
  }
}

export function SignIn({ t, auth, lang, onLanguage, onSignedIn, notice }) {
  const [challenge, setChallenge] = useState(null);
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const form = useRef(null);
  useEffect(() => form.current?.querySelector("input")?.focus(), [challenge]); // the first field of each step

  async function submit(event) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    setError("");
    try {
      const next = challenge
        ? await auth.completeNewPassword(challenge, String(form.get("new-password")))
        : await auth.signIn(String(form.get("username")).trim(), String(form.get("password")));
      if (next) setChallenge(next);
      else onSignedIn();
    } catch (failure) {
      setError(message(t, failure));
    } finally {
      setBusy(false);
    }
  }

  const errorId = error ? "signin-error" : undefined;
  return html`
    <header class="bar" role="banner"><span class="brand">${t("app")}</span>
      <${LanguageSwitch} t=${t} lang=${lang} onLanguage=${onLanguage} /></header>
    <main id="main" class="signin">
      <h1>${challenge ? t("newPasswordTitle") : t("signInTitle")}</h1>
      ${notice && !error ? html`<p class="notice" role="status">${notice}</p>` : null}
      <form ref=${form} onSubmit=${submit} aria-describedby=${errorId}>
        ${challenge ? html`
          <p>${t("newPasswordIntro")}</p>
          <label for="new-password">${t("newPassword")}</label>
          <input id="new-password" name="new-password" type="password" autocomplete="new-password" required
            minlength="12" aria-describedby="new-password-hint" aria-invalid=${error ? "true" : "false"} />
          <p id="new-password-hint" class="hint">${t("newPasswordHint")}</p>
          <button type="submit" disabled=${busy}>${busy ? t("signingIn") : t("savePassword")}</button>` : html`
          <label for="username">${t("username")}</label>
          <input id="username" name="username" autocomplete="username" autocapitalize="none" spellcheck="false"
            required aria-invalid=${error ? "true" : "false"} />
          <label for="password">${t("password")}</label>
          <input id="password" name="password" type="password" autocomplete="current-password" required
            aria-invalid=${error ? "true" : "false"} />
          <button type="submit" disabled=${busy}>${busy ? t("signingIn") : t("signIn")}</button>`}
        <p id="signin-error" class="error" role="alert">${error ? html`<span aria-hidden="true">⚠ </span>${error}` : ""}</p>
      </form>
    </main>`;
}
