// The operator view: the dead-letter archive (replay or purge one, or all) and the
// pipeline's depths and failures of the last hour, with the operator token typed in and
// kept in sessionStorage.

import { call, loadConfig, session } from "./api.js";
import { byId, el, say } from "./dom.js";
import { showNav } from "./nav.js";

const REFRESH_MS = 5000;
let cursor = null;
let timer = null;

function token() {
  return session.operatorToken();
}

function metric(label, value, name) {
  return el("div", { class: "metric", dataset: { metric: name } },
    el("span", { class: "label", text: label }),
    el("span", { class: "value", text: value === null || value === undefined ? "—" : String(value) }));
}

async function loadPipeline() {
  const pipeline = await call("/admin/pipeline", { token: token() });
  byId("pipeline").replaceChildren(
    metric("outbox depth", pipeline.outbox_depth, "outbox_depth"),
    metric("image queue depth", pipeline.image_queue_depth, "image_queue_depth"),
    metric("waiting for a retry", pipeline.image_retry_depth, "image_retry_depth"),
    metric("webhook queue depth", pipeline.webhook_queue_depth, "webhook_queue_depth"),
    metric("dead letters", pipeline.dead_letters, "dead_letters"),
    metric("broker", pipeline.broker, "broker"));
  const rows = pipeline.failures_last_hour.map((failure) => el("tr", {
    dataset: { code: failure.code ?? "" } },
  el("td", { text: failure.code ?? "no code" }), el("td", { text: String(failure.count) })));
  byId("failures").replaceChildren(...(rows.length ? rows
    : [el("tr", {}, el("td", { colspan: 2, text: "No failures in the last hour." }))]));
}

async function act(action, selection, question) {
  if (!window.confirm(question)) return;
  const message = byId("operator-message");
  try {
    const answer = await call(`/admin/dead-letters/${action}`, {
      method: "POST", token: token(), body: selection });
    const done = answer.replayed || answer.purged || [];
    say(message, `${action === "replay" ? "Replayed" : "Purged"} ${done.length}` +
      (answer.not_found.length ? `; ${answer.not_found.length} no longer archived.` : "."));
  } catch (error) {
    say(message, error.message, "error");
  }
  refresh();
}

function letterRow(letter) {
  const id = letter.message_id;
  return el("tr", { dataset: { messageId: id, code: letter.code ?? "" } },
    el("td", { class: "code", text: letter.code ?? "no code" }),
    el("td", { class: "reason", text: letter.reason }),
    el("td", { text: String(letter.attempts) }),
    el("td", {}, el("time", { datetime: letter.failed_at, text: letter.failed_at })),
    el("td", { class: "where" }, el("a", { href: `/console/product?id=${Number(letter.product_id)}`,
      text: `product ${letter.product_id}` }), el("br"), el("span", { text: letter.url ?? "" })),
    el("td", { class: "actions" },
      el("button", { type: "button", class: "replay", text: "Replay",
        onclick: () => act("replay", { message_ids: [id] }, `Replay dead letter ${id}?`) }),
      el("button", { type: "button", class: "purge danger", text: "Purge",
        onclick: () => act("purge", { message_ids: [id] }, `Purge dead letter ${id}? It cannot be replayed afterwards.`) })));
}

async function loadLetters({ first }) {
  const page = await call("/admin/dead-letters", { token: token(),
    params: { cursor: first ? undefined : cursor } });
  const rows = page.items.map(letterRow);
  if (first) byId("letters").replaceChildren(...rows);
  else byId("letters").append(...rows);
  cursor = page.next_cursor;
  byId("more-letters").hidden = !cursor;
  byId("letters-total").textContent = `${page.total} archived`;
  byId("letters-empty").hidden = page.total > 0;
}

async function refresh() {
  const message = byId("refresh-message");
  try {
    await Promise.all([loadPipeline(), loadLetters({ first: true })]);
    byId("operator").dataset.refreshedAt = String(Date.now());
    say(message, `Updated ${new Date().toLocaleTimeString()}`);
  } catch (error) {
    say(message, error.message, "error");
    if (error.status === 401) signOut("That operator token was refused.");
  }
}

function signOut(reason = "") {
  session.setOperatorToken(null);
  window.clearInterval(timer);
  byId("operator").hidden = true;
  byId("token-panel").hidden = false;
  say(byId("token-message"), reason, reason ? "error" : "info");
}

function signedIn() {
  byId("token-panel").hidden = true;
  byId("operator").hidden = false;
  refresh();
  window.clearInterval(timer);
  timer = window.setInterval(refresh, REFRESH_MS);
}

async function main() {
  showNav(await loadConfig(), "operator");
  byId("token-form").addEventListener("submit", (event) => {
    event.preventDefault();
    session.setOperatorToken(event.target.elements.token.value.trim());
    event.target.reset();
    signedIn();
  });
  byId("forget-token").addEventListener("click", () => signOut());
  byId("refresh").addEventListener("click", refresh);
  byId("more-letters").addEventListener("click", () => loadLetters({ first: false }));
  byId("replay-all").addEventListener("click", () =>
    act("replay", { all: true }, "Replay every dead letter?"));
  byId("purge-all").addEventListener("click", () =>
    act("purge", { all: true }, "Purge every dead letter? They cannot be replayed afterwards."));
  if (token()) signedIn();
  else signOut();
}

main();
