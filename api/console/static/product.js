// The product view: each image beside its source and every rendition (format, size, bytes
// and the saving against the source where the source's size is known).

import { call, loadConfig } from "./api.js";
import { byId, el, formatBytes, say } from "./dom.js";
import { imageFigure } from "./images.js";
import { showNav } from "./nav.js";

const LADDER_FORMATS = new Set(["avif", "webp", "jpeg"]);
const FORMAT_ORDER = ["avif", "webp", "jpeg"];

/** The source's own bytes when the worker kept them (they stand in, under the source's
 * format, for a rendition); its size is the image's source_bytes, or this one's for sets
 * recorded before the API reported it. */
function keptSource(image) {
  return image.renditions.find((rendition) => !LADDER_FORMATS.has(rendition.format)) || null;
}

function saving(bytes, sourceBytes) {
  if (!sourceBytes || bytes === null || bytes === undefined) return "—";
  return `${Math.round((1 - bytes / sourceBytes) * 100)}%`;
}

function safeLink(url) {
  // Source URLs are http(s) by the API's rules; anything else is shown, never linked.
  return /^https?:\/\//i.test(url) ? el("a", { href: url, rel: "noreferrer", text: url })
    : el("span", { text: url });
}

function row(cells, props = {}) {
  return el("tr", props, cells.map((cell) => el("td", {}, cell)));
}

function renditionTable(image) {
  const kept = keptSource(image);
  const sourceBytes = image.source_bytes ?? (kept ? kept.bytes : null);
  const jpegBytes = new Map(image.renditions.filter((rendition) => rendition.format === "jpeg")
    .map((rendition) => [rendition.width, rendition.bytes]));
  const head = el("thead", {}, el("tr", {}, ["", "format", "width", "height", "bytes",
    "saving vs source", "vs JPEG"].map((text) => el("th", { scope: "col", text }))));
  const body = el("tbody");
  body.append(row(["source", kept ? kept.format : "—", String(image.width ?? "—"),
    String(image.height ?? "—"), sourceBytes ? formatBytes(sourceBytes) : "not reported", "—",
    "—"],
  { class: "source", dataset: { bytes: sourceBytes ?? "" } }));
  const sorted = image.renditions.filter((rendition) => rendition !== kept).sort((a, b) =>
    FORMAT_ORDER.indexOf(a.format) - FORMAT_ORDER.indexOf(b.format) || a.width - b.width);
  for (const rendition of sorted) {
    body.append(row([
      el("a", { href: rendition.url, text: "open" }), rendition.format,
      String(rendition.width ?? "—"), String(rendition.height ?? "—"),
      formatBytes(rendition.bytes), saving(rendition.bytes, sourceBytes),
      // What the format saves against the JPEG of the same width (the fallback's cost).
      rendition.format === "jpeg" ? "—" : saving(rendition.bytes, jpegBytes.get(rendition.width)),
    ], { class: "rendition", dataset: { format: rendition.format, width: rendition.width,
      bytes: rendition.bytes ?? "" } }));
  }
  return el("table", { class: "renditions" }, head, body);
}

function imageSection(image, index) {
  return el("section", { class: "image-detail", dataset: { index } },
    el("div", { class: "image-side" },
      imageFigure(image, { sizes: "(max-width: 800px) 100vw, 480px" }),
      el("p", { class: "source-url" }, "Source: ", safeLink(image.source_url))),
    el("div", { class: "table-side" }, renditionTable(image)));
}

async function main() {
  showNav(await loadConfig(), "product");
  const message = byId("product-message");
  const id = Number(new URLSearchParams(window.location.search).get("id"));
  if (!Number.isInteger(id) || id < 1) {
    say(message, "No product id in the address (?id=…).", "error");
    return;
  }
  try {
    const product = await call(`/products/${id}`);
    document.title = `${product.product_name} · Product console`;
    byId("product-name").textContent = product.product_name;
    byId("product-meta").replaceChildren(
      el("span", { class: "price", text: product.product_price }),
      el("span", { class: `status status-${product.image_status}`, text: product.image_status }),
      el("span", { text: `version ${product.version}` }));
    if (product.product_description) {
      byId("product-description").textContent = product.product_description;
    }
    byId("images").replaceChildren(...product.images.map(imageSection));
    byId("product").dataset.loaded = "true";
  } catch (error) {
    say(message, error.message, "error");
  }
}

main();
