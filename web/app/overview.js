// The overview for the twice-daily look: one card per question, each loaded on its own (a slow or refused call
// leaves the others working). Cards a role may not use are not shown; a 403 from the API hides a card as well.
import { useEffect, useState } from "preact/hooks";
import { html } from "./html.js";

const DAY_MS = 24 * 3600 * 1000;
const LISTENERS = ["care", "editor", "master", "pr", "viewer"];
const SHOWN = 5;

const CARDS = [
  { id: "alerts", title: "openAlerts", roles: LISTENERS, load: (api) => api("/alerts?hours=168&limit=500") },
  { id: "complaints", title: "complaints", roles: LISTENERS,
    load: (api) => api("/mentions?intent=complaint&order=oldest&limit=20") },
  { id: "due", title: "dueSoon", roles: null, load: (api) => {
    const now = new Date();
    const to = new Date(now.getTime() + DAY_MS);
    const iso = (moment) => moment.toISOString().replace(/\.\d{3}Z$/, "Z");
    return api(`/posts?from=${encodeURIComponent(iso(now))}&to=${encodeURIComponent(iso(to))}&limit=100`);
  } },
  { id: "approvals", title: "approvals", roles: ["master", "editor"], load: (api) => api("/posts?status=submitted&limit=100") },
  { id: "channels", title: "channels", roles: null, load: (api) => api("/channels") },
  { id: "crisis", title: "crisis", roles: null, load: (api) => api("/crisis") },
];

const NOT_DUE = new Set(["published", "cancelled", "draft"]);

function submittedAt(post) {
  const step = [...(post.audit || [])].reverse().find((entry) => entry.to === "submitted");
  return step?.at || "";
}

function More({ t, total }) {
  return total > SHOWN ? html`<p class="more">${t("more", { count: t.number(total - SHOWN) })}</p>` : null;
}

function Count({ value, label }) {
  return html`<p class="count"><span class="number">${value}</span> <span class="visually-hidden">${label}</span></p>`;
}

function body(card, data, t) {
  switch (card.id) {
    case "alerts": {
      const open = data.items.filter((alert) => alert.status === "open");
      return html`<${Count} value=${t.number(open.length)} label=${t("openAlerts")} />
        <p class="note">${t("openAlertsNote")}</p>
        ${open.length ? html`<ul>${open.slice(0, SHOWN).map((alert) => html`<li>
          <span class=${`tag severity-${alert.severity}`}>${alert.severity}</span>
          <span lang=${alert.language === "other" ? undefined : alert.language}>${alert.reason}</span>
          <span class="meta"> · ${alert.team} · ${t.ago(alert.created_at)}</span></li>`)}</ul>
          <${More} t=${t} total=${open.length} />` : html`<p>${t("noAlerts")}</p>`}`;
    }
    case "complaints": {
      const items = data.items;
      return html`<${Count} value=${t.number(items.length) + (data.next_cursor ? "+" : "")} label=${t("complaints")} />
        ${items.length ? html`<ol>${items.slice(0, SHOWN).map((mention) => html`<li>
          <span class="author">${mention.author_handle}</span> <span class="meta">(${mention.platform},
          ${t("waiting", { age: t.ago(mention.received_at || mention.created_at) })})</span>
          <q lang=${mention.language === "other" ? undefined : mention.language}>${mention.text.slice(0, 140)}</q></li>`)}</ol>
          <${More} t=${t} total=${items.length} />` : html`<p>${t("noComplaints")}</p>`}`;
    }
    case "due": {
      const items = data.items.filter((post) => !NOT_DUE.has(post.status))
        .sort((a, b) => String(a.publish_at).localeCompare(String(b.publish_at)));
      return html`<${Count} value=${t.number(items.length) + (data.next_cursor ? "+" : "")} label=${t("dueSoon")} />
        ${items.length ? html`<ul>${items.slice(0, SHOWN).map((post) => html`<li>
          <time datetime=${post.publish_at}>${t.dateTime(post.publish_at, post.timezone)}</time>
          <span class=${`tag status-${post.status}`}>${t(`status_${post.status}`)}</span>
          <span class="meta"> ${post.channels.join(", ")}:</span> ${post.text.slice(0, 90)}</li>`)}</ul>
          <${More} t=${t} total=${items.length} />` : html`<p>${t("noDue")}</p>`}`;
    }
    case "approvals": {
      const items = [...data.items].sort((a, b) => submittedAt(a).localeCompare(submittedAt(b)));
      return html`<${Count} value=${t.number(items.length) + (data.next_cursor ? "+" : "")} label=${t("approvals")} />
        ${items.length ? html`<ol>${items.slice(0, SHOWN).map((post) => html`<li>${post.text.slice(0, 90)}
          <span class="meta"> · ${t("submittedBy", { author: post.author })}
          ${submittedAt(post) ? html` · ${t.ago(submittedAt(post))}` : null}</span></li>`)}</ol>
          <${More} t=${t} total=${items.length} />` : html`<p>${t("noApprovals")}</p>`}`;
    }
    case "channels": {
      const broken = data.items.filter((channel) => channel.status === "needs_reconnect");
      return html`<${Count} value=${t.number(broken.length)} label=${t("channels")} />
        ${broken.length ? html`<ul>${broken.map((channel) => html`<li><span class="tag status-failed">
          ${t("reconnect")}</span> ${channel.handle} <span class="meta">(${channel.platform})</span></li>`)}</ul>`
          : html`<p>${t("channelsOk", { count: t.number(data.items.length) })}</p>`}`;
    }
    case "crisis":
      return html`<p class=${data.active ? "crisis on" : "crisis off"}>
          <span aria-hidden="true">${data.active ? "⏸ " : "▶ "}</span>${data.active ? t("crisisOn") : t("crisisOff")}</p>
        ${data.active ? html`<p>${t("crisisSince", { when: t.dateTime(data.since), who: data.by })}</p>
          ${data.reason ? html`<p>${t("crisisReason", { reason: data.reason })}</p>` : null}` : null}`;
    default:
      return null;
  }
}

function Card({ card, t, state }) {
  if (state?.hidden) return null;
  const headingId = `card-${card.id}`;
  return html`<section class="card" id=${`overview-${card.id}`} aria-labelledby=${headingId}
      aria-busy=${state?.data || state?.error ? "false" : "true"}>
    <h2 id=${headingId}>${t(card.title)}</h2>
    ${state?.error ? html`<p class="error">${t("errLoad", { detail: state.error })}</p>`
      : state?.data ? body(card, state.data, t) : html`<p class="meta">${t("loading")}</p>`}
  </section>`;
}

export function Overview({ t, api, roles, ready }) {
  const [states, setStates] = useState({});
  const [round, setRound] = useState(0);
  const [lastVisit] = useState(() => localStorage.getItem("chorus.lastVisit"));
  useEffect(() => localStorage.setItem("chorus.lastVisit", new Date().toISOString()), []);
  const cards = CARDS.filter((card) => !card.roles || card.roles.some((role) => roles.includes(role)));

  useEffect(() => {
    if (!ready) return;
    setStates({});
    for (const card of cards) {
      card.load(api).then(
        (data) => setStates((now) => ({ ...now, [card.id]: { data } })),
        (error) => setStates((now) => ({
          ...now, [card.id]: error.status === 403 ? { hidden: true } : { error: error.message },
        })),
      );
    }
  }, [ready, round, roles.join(",")]);

  return html`
    <p class="note">${lastVisit ? t("lastVisit", { when: t.dateTime(lastVisit) }) : t("firstVisit")}</p>
    <p><button type="button" class="secondary" onClick=${() => setRound(round + 1)}>${t("refresh")}</button></p>
    <div class="cards">${cards.map((card) => html`<${Card} key=${card.id} card=${card} t=${t} state=${states[card.id]} />`)}</div>`;
}
