// The dashboard: loads /config.json, resumes this tab's session if there is one, then shows the sign-in screen or
// the navigation shell with the screen the URL's hash names (#/overview, #/calendar, ...).
import { render } from "preact";
import { useEffect, useMemo, useState } from "preact/hooks";
import { apiClient } from "./api.js";
import { Auth } from "./auth.js";
import { html } from "./html.js";
import { chooseLanguage, initialLanguage, translator } from "./i18n.js";
import { Shell } from "./shell.js";
import { SignIn } from "./signin.js";

function App({ config }) {
  const [lang, setLang] = useState(initialLanguage());
  const [signedIn, setSignedIn] = useState(null); // null: still resuming
  const [ended, setEnded] = useState(false);
  const auth = useMemo(() => new Auth(config, (now) => {
    setSignedIn((before) => {
      if (before && !now) setEnded(true);
      return now;
    });
  }), [config]);
  const api = useMemo(() => apiClient(config, auth), [config, auth]);
  const t = useMemo(() => translator(lang), [lang]);

  useEffect(() => {
    document.documentElement.lang = lang;
  }, [lang]);
  useEffect(() => {
    auth.resume().then((ok) => setSignedIn(ok));
  }, [auth]);

  const switchLanguage = (next) => {
    chooseLanguage(next);
    setLang(next);
  };
  if (signedIn === null) return html`<p class="loading" role="status">${t("loading")}</p>`;
  if (!signedIn) {
    return html`<${SignIn} t=${t} auth=${auth} lang=${lang} onLanguage=${switchLanguage}
      notice=${ended ? t("errSession") : ""} onSignedIn=${() => { setEnded(false); setSignedIn(true); }} />`;
  }
  return html`<${Shell} t=${t} auth=${auth} api=${api} lang=${lang} onLanguage=${switchLanguage}
    onSignOut=${async () => { await auth.signOut(); setEnded(false); setSignedIn(false); }} />`;
}

async function start() {
  const root = document.getElementById("root");
  let config;
  try {
    const response = await fetch("config.json", { cache: "no-store", credentials: "omit" });
    if (!response.ok) throw new Error(`config.json: HTTP ${response.status}`);
    config = await response.json();
  } catch (error) {
    root.textContent = `Chorus cannot start: ${error.message}`;
    return;
  }
  root.textContent = "";
  render(html`<${App} config=${config} />`, root);
}

start();
