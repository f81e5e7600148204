// The navigation shell: banner with the user and sign-out, the main menu (only the screens the user's roles may
// use; the API still refuses what a role may not do), and the screen named by the URL's hash.
import { useEffect, useRef, useState } from "preact/hooks";
import { html } from "./html.js";
import { Overview } from "./overview.js";
import { LanguageSwitch } from "./widgets.js";

const LISTENERS = ["care", "editor", "master", "pr", "viewer"];
export const SCREENS = [
  { id: "overview", label: "navOverview", roles: null },
  { id: "calendar", label: "navCalendar", roles: null },
  { id: "compose", label: "navCompose", roles: ["master", "editor", "creator"] },
  { id: "approvals", label: "navApprovals", roles: ["master", "editor"] },
  { id: "inbox", label: "navInbox", roles: LISTENERS },
  { id: "alerts", label: "navAlerts", roles: LISTENERS },
  { id: "sources", label: "navSources", roles: ["master", "editor", "pr"] },
  { id: "ambassadors", label: "navAmbassadors", roles: null },
  { id: "report", label: "navReport", roles: LISTENERS },
];

export const allowed = (screen, roles) => !screen.roles || screen.roles.some((role) => roles.includes(role));

function currentScreen() {
  return location.hash.replace(/^#\/?/, "").split("?")[0] || "overview";
}

// The screens built so far, each loaded on first use (the sign-in screen downloads none of them); the others say
// they arrive in a later release. A screen waits for /me (the roles).
const LAZY = {
  approvals: () => import("./approvals.js").then((module) => module.Approvals),
  alerts: () => import("./alerts.js").then((module) => module.Alerts),
  inbox: () => import("./inbox.js").then((module) => module.Inbox),
};

function Lazy({ id, t, ...props }) {
  const [screen, setScreen] = useState(null);
  const [error, setError] = useState("");
  useEffect(() => {
    LAZY[id]().then((component) => setScreen(() => component), (failed) => setError(String(failed)));
  }, [id]);
  if (error) return html`<p class="error" role="alert">${t("errLoad", { detail: error })}</p>`;
  return screen ? html`<${screen} t=${t} ...${props} />` : html`<p class="meta">${t("loading")}</p>`;
}

function screenBody(id, { t, api, roles, ready }) {
  if (id === "overview") return html`<${Overview} t=${t} api=${api} roles=${roles} ready=${ready} />`;
  if (!ready) return html`<p class="meta">${t("loading")}</p>`;
  if (id in LAZY) return html`<${Lazy} key=${id} id=${id} t=${t} api=${api} roles=${roles} />`;
  return html`<p>${t("comingSoon")}</p>`;
}

export function Shell({ t, auth, api, lang, onLanguage, onSignOut }) {
  const [me, setMe] = useState(null);
  const [screen, setScreen] = useState(currentScreen());
  const heading = useRef(null);
  useEffect(() => {
    const follow = () => setScreen(currentScreen());
    addEventListener("hashchange", follow);
    return () => removeEventListener("hashchange", follow);
  }, []);
  useEffect(() => {
    api("/me").then(setMe).catch(() => setMe({ username: auth.username, roles: [] }));
  }, [api]);
  const first = useRef(true);
  useEffect(() => { // focus the new screen's heading after navigation (not on the first load)
    if (first.current) first.current = false;
    else heading.current?.focus();
  }, [screen]);

  const roles = me?.roles || [];
  const visible = SCREENS.filter((item) => allowed(item, roles));
  const active = SCREENS.find((item) => item.id === screen) || SCREENS[0];
  return html`
    <a class="skip" href="#main" onClick=${(event) => { event.preventDefault(); heading.current?.focus(); }}>${t("skip")}</a>
    <header class="bar" role="banner">
      <span class="brand">${t("app")}</span>
      <span class="who">${t("signedInAs", { user: me?.username || auth.username || "" })}
        ${roles.length ? html` <span class="roles">(${t("roles", { roles: roles.join(", ") })})</span>` : null}</span>
      <${LanguageSwitch} t=${t} lang=${lang} onLanguage=${onLanguage} />
      <button type="button" class="secondary" onClick=${onSignOut}>${t("signOut")}</button>
    </header>
    <nav aria-label=${t("mainNav")}>
      <ul>${visible.map((item) => html`<li><a href=${`#/${item.id}`}
        aria-current=${item.id === active.id ? "page" : undefined}>${t(item.label)}</a></li>`)}</ul>
    </nav>
    <main id="main">
      <h1 tabindex="-1" ref=${heading}>${t(active.label)}</h1>
      ${screenBody(active.id, { t, api, roles, ready: Boolean(me) })}
    </main>`;
}
