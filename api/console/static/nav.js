// The header's links: the operator view only when the server has one (config.operator).

import { byId, el } from "./dom.js";

export function showNav(config, current) {
  const links = [["catalog", "/console", "Catalog"]];
  if (config.operator) links.push(["operator", "/console/operator", "Operator"]);
  byId("nav").replaceChildren(...links.map(([name, href, text]) => el("a", {
    href, text, "aria-current": name === current ? "page" : undefined })));
}
