// Building the page without ever parsing a string as HTML: elements come from
// createElement, text from text nodes (textContent), attributes from setAttribute.

/** An element: `props` are attributes, except text (its text), class, dataset and onX
 * (event listeners); children are nodes or strings (appended as text nodes). */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "text") node.textContent = String(value);
    else if (name === "class") node.className = value;
    else if (name === "dataset") Object.assign(node.dataset, value);
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined && child !== false) node.append(child);
  }
  return node;
}

export function byId(id) {
  return document.getElementById(id);
}

/** "12.3 kB": the byte figures of the product view. */
export function formatBytes(bytes) {
  if (bytes === null || bytes === undefined) return "unknown";
  if (bytes < 1000) return `${bytes} B`;
  if (bytes < 1_000_000) return `${(bytes / 1000).toFixed(1)} kB`;
  return `${(bytes / 1_000_000).toFixed(2)} MB`;
}

/** A message in a status line (role=status or alert in the page). */
export function say(node, text, kind = "info") {
  node.textContent = text;
  node.dataset.kind = kind;
}
