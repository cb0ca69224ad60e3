// One product image as a figure: the BlurHash placeholder painted at the image's intrinsic
// size first, then a <picture> (AVIF, WebP, then JPEG) over it; its status below, and for a
// failed image the error's code and message.

import { placeholderUrl } from "./blurhash.js";
import { el } from "./dom.js";

const SIZES = "(max-width: 640px) 100vw, 320px";

/** What makes two versions of an image look the same: a figure is kept while it holds. */
export function imageKey(image) {
  return [image.source_url, image.status, image.revision, image.error && image.error.code]
    .join("|");
}

function largest(renditions, format) {
  const of = renditions.filter((rendition) => rendition.format === format);
  return (of.length ? of : renditions).reduce(
    (best, rendition) => ((rendition.width || 0) >= (best.width || 0) ? rendition : best));
}

function picture(image, figure, sizes) {
  const element = el("picture");
  for (const format of ["avif", "webp"]) {
    if (image.srcset[format]) {
      element.append(el("source", { type: `image/${format}`, srcset: image.srcset[format], sizes }));
    }
  }
  const img = el("img", {
    class: "rendition", alt: "", decoding: "async", sizes,
    width: image.width, height: image.height,
    srcset: image.srcset.jpeg, src: largest(image.renditions, "jpeg").url,
  });
  img.addEventListener("load", () => {
    figure.dataset.loaded = "true";
    // When the browser had it: read by the console's own latency measurement.
    figure.dataset.loadedAt = String(Date.now());
    figure.dataset.format = (img.currentSrc.split(".").pop() || "").toLowerCase();
  }, { once: true });
  img.addEventListener("error", () => { figure.dataset.loaded = "error"; }, { once: true });
  element.append(img);
  return element;
}

export function imageFigure(image, { sizes = SIZES } = {}) {
  const figure = el("figure", { class: "shot", dataset: { status: image.status } });
  const frame = el("div", { class: "frame" });
  figure.append(frame);
  if (image.status === "ready" && image.renditions.length) {
    if (image.placeholder && image.width && image.height) {
      frame.append(el("img", {
        class: "placeholder", alt: "", width: image.width, height: image.height,
        src: placeholderUrl(image.placeholder.blurhash, image.width, image.height),
      }));
      figure.dataset.placeholder = "painted";
    }
    frame.append(picture(image, figure, sizes));
  } else {
    frame.append(el("div", {
      class: "empty", text: image.status === "failed" ? "failed" : "processing…",
    }));
  }
  const caption = el("figcaption", {},
    el("span", { class: `status status-${image.status}`, text: image.status }));
  if (image.status === "failed" && image.error) {
    caption.append(el("span", { class: "code", text: image.error.code || "no code" }),
      el("span", { class: "message", text: image.error.message }));
  }
  figure.append(caption);
  return figure;
}
