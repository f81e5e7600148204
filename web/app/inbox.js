// The inbox for care, PR, editors and masters (viewers read it): filters, newest or longest waiting first, and one
// mention's detail with assign, note, reply (typed, or a saved reply filled in for the mention) and status. The
// mention's text carries its language (lang) for screen readers. One column on a phone, list and detail side by side
// from 60rem. "Unassigned" is filtered here (the API filters by a person): a page can then come out short.
import { useEffect, useRef, useState } from "preact/hooks";
import { html } from "./html.js";
import { failure } from "./approvals.js";

const WORKERS = ["care", "editor", "master", "pr"];
const FILTERS = {
  status: ["open", "all", "new", "assigned", "responded", "resolved", "ignored"],
  intent: ["", "complaint", "question", "praise", "other"],
  team: ["", "care", "care-lead", "marketing", "pr"],
  language: ["", "nl", "en", "other"],
  platform: ["", "rss", "mastodon", "bluesky", "x", "reddit", "local", "other"],
  assignee: ["all", "me", "unassigned"],
  order: ["newest", "oldest"],
};
const SETTABLE = ["new", "responded", "resolved", "ignored"];
const INITIAL = { status: "open", intent: "", team: "", language: "", platform: "", assignee: "all", order: "newest" };

export const langOf = (mention) => (mention.language !== "other" ? mention.language
  : mention.detected_language && !mention.detected_language.startsWith("und") ? mention.detected_language : undefined);

function query(filters, cursor) {
  const params = new URLSearchParams({ limit: "25", status: filters.status, order: filters.order });
  for (const name of ["intent", "team", "language", "platform"]) if (filters[name]) params.set(name, filters[name]);
  if (filters.assignee === "me") params.set("assignee", "me");
  if (cursor) params.set("cursor", cursor);
  return `/mentions?${params}`;
}

function label(t, name, value) {
  if (name === "status") return t(`mstatus_${value}`);
  if (name === "assignee") return t(`assignee_${value}`);
  if (name === "order") return t(`order_${value}`);
  return value ? value : t("any");
}

function Filters({ t, filters, onChange }) {
  return html`<form class="filters" aria-label=${t("filters")} onSubmit=${(event) => event.preventDefault()}>
    ${Object.entries(FILTERS).map(([name, values]) => html`<div class="field">
      <label for=${`filter-${name}`}>${t(`filter_${name}`)}</label>
      <select id=${`filter-${name}`} value=${filters[name]}
        onChange=${(event) => onChange({ ...filters, [name]: event.currentTarget.value })}>
        ${values.map((value) => html`<option value=${value}>${label(t, name, value)}</option>`)}
      </select></div>`)}
  </form>`;
}

function Row({ t, mention, selected, onOpen }) {
  return html`<li class=${selected ? "row selected" : "row"}>
    <button type="button" class="row-open" aria-current=${selected ? "true" : undefined} onClick=${() => onOpen(mention)}>
      <span class="row-head"><strong>${mention.author_handle}</strong> <span class="meta">(${mention.platform})</span>
        ${" "}<span class=${`tag mstatus-${mention.status}`}>${t(`mstatus_${mention.status}`)}</span>
        ${mention.intent === "complaint" ? html` <span class="tag severity-high">${t("intent_complaint")}</span>` : null}</span>
      <span class="row-text" lang=${langOf(mention)}>${mention.text.slice(0, 160)}</span>
      <span class="meta">${t("waiting", { age: t.ago(mention.received_at) })}${mention.assignee
        ? ` · ${t("assignedTo", { who: mention.assignee })}` : ""}</span>
    </button></li>`;
}

function Detail({ t, api, mention, team, canAct, onChanged }) {
  const [message, setMessage] = useState({ text: "", error: false });
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState([]);
  const [reply, setReply] = useState("");
  const heading = useRef(null);
  useEffect(() => {
    setMessage({ text: "", error: false });
    setReply("");
    setSaved([]);
    heading.current?.focus();
    if (canAct) api(`/mentions/${encodeURIComponent(mention.id)}/saved-replies`).then((page) => setSaved(page.items), () => {});
  }, [mention.id]);

  async function act(path, body, done) {
    setBusy(true);
    try {
      const answer = await api(`/mentions/${encodeURIComponent(mention.id)}/${path}`, {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
      });
      const record = answer.mention || answer;
      onChanged(record);
      setMessage({ text: done(answer), error: false });
      return true;
    } catch (failed) {
      setMessage({ text: failure(t, failed), error: true });
      return false;
    } finally {
      setBusy(false);
    }
  }
  const submitted = (handler) => (event) => {
    event.preventDefault();
    handler(new FormData(event.currentTarget), event.currentTarget);
  };

  return html`<section class="card detail" aria-labelledby="mention-title">
    <h2 id="mention-title" tabindex="-1" ref=${heading}>${mention.author_name || mention.author_handle}
      <span class="meta">${mention.author_name ? ` ${mention.author_handle}` : ""} · ${mention.platform}</span></h2>
    ${mention.title ? html`<p lang=${langOf(mention)}><strong>${mention.title}</strong></p>` : null}
    <blockquote class="mention-text" lang=${langOf(mention)}>${mention.text}</blockquote>
    <dl class="facts">
      <dt>${t("received")}</dt><dd><time datetime=${mention.received_at}>${t.dateTime(mention.received_at)}</time></dd>
      <dt>${t("statusLabel")}</dt><dd>${t(`mstatus_${mention.status}`)}${mention.assignee ? ` · ${t("assignedTo", { who: mention.assignee })}` : ""}</dd>
      <dt>${t("intentLabel")}</dt><dd>${t(`intent_${mention.intent}`)} · ${t("languageLabel")}: ${mention.detected_language || mention.language}</dd>
      <dt>${t("teamsLabel")}</dt><dd>${mention.teams.join(", ") || "—"}</dd>
      <dt>${t("caseLabel")}</dt><dd>${mention.case_number}</dd>
      ${mention.url ? html`<dt>${t("original")}</dt><dd><a href=${mention.url} rel="noopener noreferrer" target="_blank">${t("openOriginal")}</a></dd>` : null}
    </dl>
    ${mention.notes?.length ? html`<h3>${t("notes")}</h3><ul>${mention.notes.map((note) => html`<li>${note.text}
      <span class="meta"> · ${note.by} · ${t.ago(note.at)}</span></li>`)}</ul>` : null}
    ${mention.our_replies?.length ? html`<h3>${t("ourReplies")}</h3><ul>${mention.our_replies.map((item) => html`<li>
      ${t(`reply_${item.state}`)} <span class="meta">· ${item.by} · ${t.ago(item.at)}</span></li>`)}</ul>` : null}
    <p class=${message.error ? "error" : "notice-ok"} role=${message.error ? "alert" : "status"}>${message.text}</p>
    ${canAct ? html`
      <form class="inline" onSubmit=${submitted((form) => act("assign", { assignee: form.get("assignee") },
        (record) => t("assignedDone", { who: record.assignee })))}>
        <label for="assign-to">${t("assignTo")}</label>
        <select id="assign-to" name="assignee">
          <option value="me">${t("assignee_me")}</option>
          ${team.map((person) => html`<option value=${person.username}>${person.name ? `${person.name} (${person.username})`
            : person.username} · ${t("openCount", { count: t.number(person.open_mentions) })}</option>`)}
        </select>
        <button type="submit" disabled=${busy}>${t("assign")}</button>
      </form>
      <form onSubmit=${submitted(async (form) => {
        const text = String(form.get("reply") || "").trim();
        if (!text) return;
        const ok = await act("reply", { text }, (answer) => answer.error ? t("replyFailed", { detail: answer.error })
          : answer.needs_approval ? t("replyWaits") : t("replySent"));
        if (ok) setReply("");
      })}>
        <h3>${t("replyTitle")}</h3>
        ${saved.length ? html`<label for="saved-reply">${t("savedReply")}</label>
          <select id="saved-reply" onChange=${(event) => {
            const chosen = saved.find((item) => item.id === event.currentTarget.value);
            if (chosen) setReply(chosen.text);
          }}>
            <option value="">${t("savedReplyPick")}</option>
            ${saved.map((item) => html`<option value=${item.id}>${item.title} (${item.language}, ${item.team})</option>`)}
          </select>` : null}
        <label for="reply-text">${t("replyText")}</label>
        <textarea id="reply-text" name="reply" rows="4" required lang=${langOf(mention)} value=${reply}
          onInput=${(event) => setReply(event.currentTarget.value)}></textarea>
        <p class="hint">${t("replyHint", { count: t.number([...reply].length) })}</p>
        <button type="submit" disabled=${busy}>${t("sendReply")}</button>
      </form>
      <form onSubmit=${submitted(async (form, element) => {
        const text = String(form.get("note") || "").trim();
        if (text && await act("notes", { text }, () => t("noteAdded"))) element.reset();
      })}>
        <label for="note-text">${t("noteText")}</label>
        <textarea id="note-text" name="note" rows="2" maxlength="1000" required></textarea>
        <button type="submit" class="secondary" disabled=${busy}>${t("addNote")}</button>
      </form>
      <form class="inline" onSubmit=${submitted((form) => act("status", { status: form.get("status") },
        (record) => t("statusDone", { status: t(`mstatus_${record.status}`) })))}>
        <label for="set-status">${t("setStatus")}</label>
        <select id="set-status" name="status">${SETTABLE.map((value) => html`<option value=${value}>${t(`mstatus_${value}`)}</option>`)}</select>
        <button type="submit" class="secondary" disabled=${busy}>${t("change")}</button>
      </form>` : html`<p class="note">${t("readOnly")}</p>`}
  </section>`;
}

export function Inbox({ t, api, roles }) {
  const [filters, setFilters] = useState(INITIAL);
  const [items, setItems] = useState(null);
  const [cursor, setCursor] = useState(null);
  const [error, setError] = useState("");
  const [open, setOpen] = useState(null);
  const [team, setTeam] = useState([]);
  const canAct = roles.some((role) => WORKERS.includes(role));
  const keep = (list) => (filters.assignee === "unassigned" ? list.filter((mention) => !mention.assignee) : list);

  function load(more) {
    setError("");
    api(query(filters, more ? cursor : null)).then((page) => {
      setItems((now) => (more ? [...(now || []), ...keep(page.items)] : keep(page.items)));
      setCursor(page.next_cursor || null);
    }, (failed) => { setItems([]); setError(failure(t, failed)); });
  }
  useEffect(() => { setItems(null); load(false); }, [filters]);
  useEffect(() => { if (canAct) api("/team").then((page) => setTeam(page.items), () => {}); }, [api]);

  const changed = (record) => {
    setOpen(record);
    setItems((now) => now.map((item) => (item.id === record.id ? record : item)));
  };
  return html`
    <${Filters} t=${t} filters=${filters} onChange=${setFilters} />
    <div class="inbox">
      <section aria-labelledby="inbox-list" class="inbox-list">
        <h2 id="inbox-list">${t("mentions")} ${items ? html`<span class="meta">(${t.number(items.length)}${cursor ? "+" : ""})</span>` : null}</h2>
        ${error ? html`<p class="error" role="alert">${error}</p>` : null}
        ${items === null ? html`<p class="meta">${t("loading")}</p>` : null}
        ${items?.length === 0 && !error ? html`<p>${t("noMentions")}</p>` : null}
        ${items?.length ? html`<ul class="rows">${items.map((mention) => html`<${Row} key=${mention.id} t=${t}
          mention=${mention} selected=${open?.id === mention.id} onOpen=${setOpen} />`)}</ul>` : null}
        ${cursor ? html`<button type="button" class="secondary" onClick=${() => load(true)}>${t("loadMore")}</button>` : null}
      </section>
      ${open ? html`<${Detail} t=${t} api=${api} mention=${open} team=${team} canAct=${canAct}
        onChanged=${changed} />` : html`<p class="note detail-empty">${t("pickMention")}</p>`}
    </div>`;
}
