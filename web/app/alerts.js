// Alerts for those who listen: the open alerts of the last 7 days by severity (high first), then oldest first; each
// with its escalation stage and an Acknowledge button (POST /alerts/{id}/ack). The number of open alerts goes in the
// document title, "(3) Alerts · Chorus", so a background tab shows it. Below: the spikes of the last 7 days with their
// top terms and examples. Pages of /alerts are followed through next_cursor (at most PAGES pages).
import { useEffect, useRef, useState } from "preact/hooks";
import { html } from "./html.js";
import { failure } from "./approvals.js";

const SEVERITY = { high: 0, medium: 1, low: 2 };
const PAGES = 5;

export function sortAlerts(items) {
  return [...items].sort((a, b) => (SEVERITY[a.severity] ?? 3) - (SEVERITY[b.severity] ?? 3)
    || String(a.created_at).localeCompare(String(b.created_at)));
}

async function allAlerts(api) {
  let items = [];
  let cursor = null;
  let pages = 0;
  do {
    const page = await api(`/alerts?hours=168&limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    items = items.concat(page.items);
    cursor = page.next_cursor;
    pages += 1;
  } while (cursor && pages < PAGES);
  return { items, more: Boolean(cursor) };
}

const langOf = (item) => (item.language && item.language !== "other" ? item.language : item.detected_language || undefined);

function Stage({ t, alert }) {
  const steps = alert.escalated_to || [];
  return html`<span>${steps.length ? t("escalatedTo", { teams: steps.join(" → ") }) : t("notEscalated")}${
    alert.escalate_at && alert.status === "open" ? ` · ${t("nextStage", { when: t.ago(alert.escalate_at) })}` : ""}</span>`;
}

function AlertItem({ t, alert, onAck, outcome, canAck }) {
  const id = `alert-${alert.id}`;
  return html`<li class="card alert" aria-labelledby=${id}>
    <h3 id=${id}><span class=${`tag severity-${alert.severity}`}>${t(`severity_${alert.severity}`)}</span>
      ${" "}${alert.team} · ${alert.author_handle} <span class="meta">(${alert.platform})</span></h3>
    <p lang=${t.lang}>${t.lang === "nl" && alert.reason_nl ? alert.reason_nl : alert.reason}</p>
    <blockquote lang=${langOf(alert)}>${alert.excerpt}</blockquote>
    <p class="meta"><time datetime=${alert.created_at}>${t.dateTime(alert.created_at)}</time>${" · "}${t.ago(alert.created_at)}${
      alert.mentions > 1 ? ` · ${t("mentionsCount", { count: t.number(alert.mentions) })}` : ""}${" · "}<${Stage} t=${t} alert=${alert} />${
      alert.url ? html`${" · "}<a href=${alert.url} rel="noopener noreferrer" target="_blank">${t("openOriginal")}</a>` : null}</p>
    ${canAck ? html`<button type="button" disabled=${outcome?.busy} onClick=${() => onAck(alert)}
      aria-describedby=${id}>${t("acknowledge")}</button>` : null}
    <p class="error" role="alert">${outcome?.error ? html`<span aria-hidden="true">⚠ </span>${outcome.error}` : ""}</p>
  </li>`;
}

function Spikes({ t, spikes }) {
  if (spikes === null) return html`<p class="meta">${t("loading")}</p>`;
  if (spikes.error) return html`<p class="error">${spikes.error}</p>`;
  if (!spikes.items.length) return html`<p>${t("noSpikes")}</p>`;
  return html`<ul class="list">${spikes.items.map((spike) => html`<li class="card spike">
    <h3>${t("spikeTitle", { facet: spike.facet, language: spike.language, count: t.number(spike.count) })}</h3>
    <p class="meta"><time datetime=${spike.detected_at}>${t.dateTime(spike.detected_at)}</time>
      · ${t("spikeBaseline", { mean: t.number(Math.round(spike.mean * 10) / 10), threshold: t.number(Math.round(spike.threshold * 10) / 10) })}</p>
    ${spike.terms.length ? html`<p>${t("topTerms")}: ${spike.terms.slice(0, 8).map((term, index) => html`${index ? ", " : ""}<span
      lang=${spike.language === "other" ? undefined : spike.language}>${term.term}</span> (${t.number(term.mentions)})`)}</p>` : null}
    ${spike.examples.length ? html`<ul>${spike.examples.slice(0, 3).map((example) => html`<li>
      ${example.author_handle} <span class="meta">(${example.platform})</span>
      <q lang=${spike.language === "other" ? undefined : spike.language}>${example.excerpt}</q></li>`)}</ul>` : null}
  </li>`)}</ul>`;
}

export function Alerts({ t, api, roles }) {
  const [alerts, setAlerts] = useState(null);
  const [more, setMore] = useState(false);
  const [error, setError] = useState("");
  const [spikes, setSpikes] = useState(null);
  const [outcomes, setOutcomes] = useState({});
  const [done, setDone] = useState("");
  const status = useRef(null); // after Acknowledge the focus goes to its confirmation (the button is gone)
  const canAck = roles.some((role) => ["care", "editor", "master", "pr"].includes(role));

  useEffect(() => {
    allAlerts(api).then(({ items, more: further }) => {
      setAlerts(sortAlerts(items.filter((alert) => alert.status === "open")));
      setMore(further);
    }, (failed) => setError(failure(t, failed)));
    api("/spikes?days=7&limit=20").then((page) => setSpikes({ items: page.items }),
      (failed) => setSpikes({ items: [], error: failure(t, failed) }));
  }, [api]);

  const open = alerts?.length ?? 0;
  useEffect(() => {
    const base = `${t("navAlerts")} · ${t("app")}`;
    document.title = open ? `(${open}${more ? "+" : ""}) ${base}` : base;
    return () => { document.title = t("app"); };
  }, [open, more, t]);

  async function ack(alert) {
    setOutcomes((now) => ({ ...now, [alert.id]: { busy: true } }));
    try {
      await api(`/alerts/${encodeURIComponent(alert.id)}/ack`, { method: "POST" });
      setAlerts((now) => now.filter((item) => item.id !== alert.id));
      setDone(t("acknowledged", { who: alert.author_handle }));
      setOutcomes((now) => ({ ...now, [alert.id]: null }));
      status.current?.focus();
    } catch (failed) {
      setOutcomes((now) => ({ ...now, [alert.id]: { error: failure(t, failed) } }));
    }
  }

  return html`
    <p class="note">${t("alertsIntro")}</p>
    <p class="notice-ok" role="status" tabindex="-1" ref=${status}>${done}</p>
    <section aria-labelledby="open-alerts">
      <h2 id="open-alerts">${t("openAlerts")} ${alerts ? html`<span class="meta">(${t.number(open)}${more ? "+" : ""})</span>` : null}</h2>
      ${error ? html`<p class="error" role="alert">${error}</p>` : null}
      ${alerts === null && !error ? html`<p class="meta">${t("loading")}</p>` : null}
      ${alerts?.length === 0 ? html`<p>${t("noAlerts")}</p>` : null}
      ${alerts?.length ? html`<ul class="list">${alerts.map((alert) => html`<${AlertItem} key=${alert.id} t=${t}
        alert=${alert} canAck=${canAck} outcome=${outcomes[alert.id]} onAck=${ack} />`)}</ul>` : null}
    </section>
    <section aria-labelledby="spikes">
      <h2 id="spikes">${t("spikes")}</h2>
      <${Spikes} t=${t} spikes=${spikes} />
    </section>`;
}
