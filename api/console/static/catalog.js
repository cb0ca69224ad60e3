// The catalog view: sign in with a user id and API key, list the user's products with the
// API's filters and cursor paging, create and delete, and follow the live stream so that new
// products and finished images show up without a reload.

import { ApiError, call, loadConfig, session } from "./api.js";
import { byId, el, say } from "./dom.js";
import { imageFigure, imageKey } from "./images.js";
import { openStream } from "./live.js";
import { showNav } from "./nav.js";

const state = {
  config: null,
  filters: {},
  cursor: null,
  // The highest id of the first page: a product the stream brings that is newer was created
  // since, and goes on top; older ones belong to pages not loaded (or are shown already).
  newestListed: 0,
  cards: new Map(), // product id -> {node, version, figures: [{key, figure}]}
  closeStream: null,
};

function matchesFilters(product) {
  const { name, min_price: min, max_price: max } = state.filters;
  if (name && !product.product_name.toLowerCase().includes(name.toLowerCase())) return false;
  const price = Number(product.product_price);
  if (min && price < Number(min)) return false;
  if (max && price > Number(max)) return false;
  return true;
}

function figuresFor(product, previous) {
  return product.images.map((image, index) => {
    const key = imageKey(image);
    const old = previous && previous[index];
    return old && old.key === key ? old : { key, figure: imageFigure(image) };
  });
}

function cardNode(product, figures) {
  const link = el("a", { class: "name", href: `/console/product?id=${Number(product.id)}`,
    text: product.product_name });
  const remove = el("button", { type: "button", class: "danger", text: "Delete",
    onclick: () => deleteProduct(product) });
  return el("li", { class: "card", dataset: { productId: product.id,
      imageStatus: product.image_status, version: product.version } },
    el("header", {}, link, el("span", { class: "price", text: product.product_price })),
    el("p", { class: "meta" },
      el("span", { class: `status status-${product.image_status}`, text: product.image_status }),
      el("span", { text: `${product.images.length} image(s) · v${product.version}` })),
    el("div", { class: "shots" }, figures.map((each) => each.figure)),
    el("footer", {}, remove));
}

/** Show `product` (a newer version replaces an older card; an older one is dropped). */
function showProduct(product, { place = "sorted" } = {}) {
  const cards = byId("cards");
  const existing = state.cards.get(product.id);
  if (existing && existing.version >= product.version) return;
  const figures = figuresFor(product, existing && existing.figures);
  const node = cardNode(product, figures);
  state.cards.set(product.id, { node, version: product.version, figures });
  if (existing) {
    existing.node.replaceWith(node);
  } else if (place === "end") {
    cards.append(node);
  } else {
    const after = [...cards.children].find((card) => Number(card.dataset.productId) < product.id);
    cards.insertBefore(node, after || null);
  }
  byId("empty").hidden = state.cards.size > 0;
}

function forget(productId) {
  const existing = state.cards.get(productId);
  if (existing) {
    existing.node.remove();
    state.cards.delete(productId);
  }
  byId("empty").hidden = state.cards.size > 0;
}

function onEvent(event) {
  const product = event.data.product;
  if (event.type === "product.deleted") {
    forget(event.data.product_id);
  } else if (state.cards.has(product.id)) {
    showProduct(product);
  } else if (product.id > state.newestListed && matchesFilters(product)) {
    showProduct(product);
  }
}

async function loadPage({ first }) {
  const message = byId("list-message");
  try {
    const page = await call("/products", { params: {
      ...state.filters, user_id: session.user(), cursor: first ? undefined : state.cursor } });
    if (first) {
      byId("cards").replaceChildren();
      state.cards.clear();
      state.newestListed = page.items.length ? page.items[0].id : 0;
    }
    for (const product of page.items) showProduct(product, { place: "end" });
    state.cursor = page.next_cursor;
    byId("more").hidden = !state.cursor;
    byId("empty").hidden = state.cards.size > 0;
    say(message, "");
  } catch (error) {
    say(message, error.message, "error");
  }
}

async function deleteProduct(product) {
  if (!window.confirm(`Delete “${product.product_name}”?`)) return;
  try {
    await call(`/products/${Number(product.id)}`, { method: "DELETE", token: session.key() });
    forget(product.id);
  } catch (error) {
    say(byId("list-message"), error.message, "error");
  }
}

async function createProduct(event) {
  event.preventDefault();
  const form = event.target;
  const message = byId("create-message");
  const images = form.elements.images.value.split(/\s+/).filter(Boolean);
  try {
    const product = await call("/products", { method: "POST", token: session.key(), body: {
      product_name: form.elements.name.value, product_price: form.elements.price.value.trim(),
      product_images: images } });
    form.reset();
    say(message, `Created product ${product.id}.`);
    if (matchesFilters(product)) showProduct(product);
  } catch (error) {
    say(message, error.message, "error");
  }
}

function applyFilters(event) {
  event.preventDefault();
  const form = event.target;
  state.filters = {};
  for (const name of ["name", "min_price", "max_price", "limit"]) {
    const value = form.elements[name].value.trim();
    if (value) state.filters[name] = value;
  }
  loadPage({ first: true });
}

function startStream() {
  const line = byId("stream-state");
  state.closeStream = openStream({
    streamUrl: state.config.stream_url, userId: session.user(), key: session.key(), onEvent,
    onState: (status, detail) => {
      line.dataset.state = status;
      line.textContent = detail ? `Live updates: ${status} (${detail})` : `Live updates: ${status}`;
    },
  });
}

function showCatalog() {
  byId("sign-in-panel").hidden = true;
  byId("catalog").hidden = false;
  byId("sign-out").hidden = false;
  byId("who").textContent = `User ${session.user()}`;
  loadPage({ first: true }).then(startStream);
}

function showSignIn() {
  if (state.closeStream) state.closeStream();
  state.closeStream = null;
  byId("catalog").hidden = true;
  byId("sign-out").hidden = true;
  byId("who").textContent = "";
  byId("sign-in-panel").hidden = false;
}

async function signIn(event) {
  event.preventDefault();
  const form = event.target;
  const userId = Number(form.elements.user.value);
  const key = form.elements.key.value.trim();
  const message = byId("sign-in-message");
  try {
    // Only the user's own key makes their profile show the e-mail.
    const user = await call(`/users/${userId}`, { token: key });
    if (!("email" in user)) throw new Error("That API key is not this user's.");
    session.signIn(userId, key);
    form.reset();
    say(message, "");
    showCatalog();
  } catch (error) {
    say(message, error instanceof ApiError && error.status === 404 ? "No such user." : error.message,
      "error");
  }
}

async function main() {
  state.config = await loadConfig();
  showNav(state.config, "catalog");
  byId("sign-in").addEventListener("submit", signIn);
  byId("create").addEventListener("submit", createProduct);
  byId("filters").addEventListener("submit", applyFilters);
  byId("more").addEventListener("click", () => loadPage({ first: false }));
  byId("sign-out").addEventListener("click", () => { session.signOut(); showSignIn(); });
  if (session.user() && session.key()) showCatalog();
  else showSignIn();
}

main();
