// Approvals for editors and masters: submitted posts, oldest submission first, each with its text, channels, author,
// planned time in the post's own time zone and its media with their alt text; approve, or reject with a reason the
// author reads (a modal <dialog>: Escape closes it, the focus returns to the button that opened it).
// The API stays the authority: its answer (a 403, or a 409 when someone acted first) is shown in its own words.
import { useEffect, useRef, useState } from "preact/hooks";
import { html } from "./html.js";

export function submittedAt(post) {
  const step = [...(post.audit || [])].reverse().find((entry) => entry.to === "submitted");
  return step?.at || post.updated_at || "";
}

export function failure(t, error) {
  if (error.status === 403) return t("errForbidden");
  return t("errAction", { detail: error.message || String(error) });
}

function Media({ t, items }) {
  if (!items?.length) return null;
  return html`<ul class="media" aria-label=${t("media")}>${items.map((item) => html`<li>
    <figure>${item.url && (item.content_type || "image").startsWith("image")
      ? html`<img src=${item.url} alt=${item.alt || ""} loading="lazy" width="120" height="90" />`
      : html`<span class="thumb" aria-hidden="true">${(item.content_type || "").startsWith("video") ? "▶" : "🖼"}</span>`}
      <figcaption>${item.alt ? item.alt : html`<span class="tag status-failed">${t("noAlt")}</span>`}</figcaption>
    </figure></li>`)}</ul>`;
}

function Approval({ t, post, channels, onApprove, onReject, outcome }) {
  const headingId = `approval-${post.id}`;
  const named = post.channels.map((id) => channels[id] ? `${channels[id].handle} (${channels[id].platform})` : id);
  const variants = Object.entries(post.variants || {});
  return html`<article class="card approval" aria-labelledby=${headingId} data-post=${post.id}>
    <h2 id=${headingId}>${t("postBy", { author: post.author })}
      <span class="meta"> · ${t("submittedAgo", { age: t.ago(submittedAt(post)) })}</span></h2>
    <p class="post-text">${post.text}</p>
    ${variants.length ? html`<dl class="variants">${variants.map(([id, text]) => html`
      <dt>${t("variantFor", { channel: channels[id]?.handle || id })}</dt><dd>${text}</dd>`)}</dl>` : null}
    <dl class="facts">
      <dt>${t("channelsLabel")}</dt><dd>${named.join(", ") || "—"}</dd>
      <dt>${t("publishAt")}</dt><dd>${post.publish_at
        ? html`<time datetime=${post.publish_at}>${t.dateTime(post.publish_at, post.timezone)}</time>`
        : t("notPlanned")}</dd>
      ${post.on_behalf_of ? html`<dt>${t("onBehalfOf")}</dt><dd>${post.on_behalf_of}
        ${post.endorsed_at ? ` (${t("endorsed")})` : ` (${t("notEndorsed")})`}</dd>` : null}
    </dl>
    <${Media} t=${t} items=${post.media} />
    <div class="actions">
      <button type="button" disabled=${outcome?.busy} onClick=${() => onApprove(post)}>${t("approve")}</button>
      <button type="button" class="secondary" disabled=${outcome?.busy} onClick=${(event) => onReject(post, event.currentTarget)}>
        ${t("reject")}</button>
    </div>
    <p class="error" role="alert">${outcome?.error ? html`<span aria-hidden="true">⚠ </span>${outcome.error}` : ""}</p>
  </article>`;
}

function RejectDialog({ t, post, onClose, onConfirm }) {
  const dialog = useRef(null);
  const [reason, setReason] = useState("");
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (post && !dialog.current.open) dialog.current.showModal();
    if (!post && dialog.current.open) dialog.current.close();
  }, [post]);
  async function submit(event) {
    event.preventDefault();
    if (!reason.trim()) return;
    setBusy(true);
    try {
      await onConfirm(post, reason.trim());
      setReason("");
    } finally {
      setBusy(false);
    }
  }
  return html`<dialog ref=${dialog} aria-labelledby="reject-title" onClose=${() => onClose()}>
    <form onSubmit=${submit}>
      <h2 id="reject-title">${t("rejectTitle")}</h2>
      ${post ? html`<p class="meta">${post.text.slice(0, 140)}</p>` : null}
      <label for="reject-reason">${t("rejectReason")}</label>
      <textarea id="reject-reason" rows="4" maxlength="2000" required aria-describedby="reject-hint"
        value=${reason} onInput=${(event) => setReason(event.currentTarget.value)}></textarea>
      <p id="reject-hint" class="hint">${t("rejectHint")}</p>
      <div class="actions">
        <button type="submit" disabled=${busy}>${t("rejectConfirm")}</button>
        <button type="button" class="secondary" onClick=${() => onClose()}>${t("cancel")}</button>
      </div>
    </form>
  </dialog>`;
}

export function Approvals({ t, api }) {
  const [posts, setPosts] = useState(null);
  const [more, setMore] = useState(false);
  const [channels, setChannels] = useState({});
  const [error, setError] = useState("");
  const [outcomes, setOutcomes] = useState({});
  const [done, setDone] = useState("");
  const [rejecting, setRejecting] = useState(null);
  const opener = useRef(null);
  const status = useRef(null); // after an action the focus goes to its confirmation (the post's buttons are gone)

  useEffect(() => {
    api("/posts?status=submitted&limit=100").then((page) => {
      setPosts([...page.items].sort((a, b) => submittedAt(a).localeCompare(submittedAt(b))));
      setMore(Boolean(page.next_cursor));
    }, (failed) => setError(failure(t, failed)));
    api("/channels").then((page) => setChannels(Object.fromEntries(page.items.map((c) => [c.id, c]))), () => {});
  }, [api]);

  const mark = (id, value) => setOutcomes((now) => ({ ...now, [id]: value }));
  async function act(post, action, body) {
    mark(post.id, { busy: true });
    try {
      const answer = await api(`/posts/${encodeURIComponent(post.id)}/${action}`, {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body || {}),
      });
      setPosts((now) => now.filter((item) => item.id !== post.id));
      const warnings = (answer.warnings || []).map((warning) => warning.message).join(" ");
      setDone(t(action === "approve" ? "approvedDone" : "rejectedDone", { text: post.text.slice(0, 60) })
        + (warnings ? ` ${t("warnings", { warnings })}` : ""));
      mark(post.id, null);
      status.current?.focus();
      return true;
    } catch (failed) {
      mark(post.id, { error: failure(t, failed) });
      return false;
    }
  }

  const closeDialog = () => {
    setRejecting(null);
    opener.current?.focus?.();
  };
  return html`
    <p class="note">${t("approvalsIntro")}</p>
    <p class="notice-ok" role="status" tabindex="-1" ref=${status}>${done}</p>
    ${error ? html`<p class="error" role="alert">${error}</p>` : null}
    ${posts === null && !error ? html`<p class="meta" aria-busy="true">${t("loading")}</p>` : null}
    ${posts?.length === 0 ? html`<p>${t("noApprovals")}</p>` : null}
    ${posts?.length ? html`<div class="list">${posts.map((post) => html`<${Approval} key=${post.id} t=${t} post=${post}
      channels=${channels} outcome=${outcomes[post.id]} onApprove=${(p) => act(p, "approve")}
      onReject=${(p, button) => { opener.current = button; setRejecting(p); }} />`)}</div>` : null}
    ${more ? html`<p class="more">${t("moreOnNextPage")}</p>` : null}
    <${RejectDialog} t=${t} post=${rejecting} onClose=${closeDialog}
      onConfirm=${async (post, reason) => {
        setRejecting(null);
        const ok = await act(post, "reject", { reason });
        if (!ok) opener.current?.focus?.();
      }} />`;
}
