import { html } from "./html.js";
import { LANGUAGES } from "./i18n.js";

export function LanguageSwitch({ t, lang, onLanguage, id = "language" }) {
  return html`<div class="language">
    <label for=${id}>${t("language")}</label>
    <select id=${id} value=${lang} onChange=${(event) => onLanguage(event.currentTarget.value)}>
      ${Object.entries(LANGUAGES).map(([code, name]) => html`<option value=${code} lang=${code}>${name}</option>`)}
    </select>
  </div>`;
}
