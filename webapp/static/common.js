// Shared by the three pages: the header, JSON fetching that shows the server's error message, number formats.
"use strict";

function renderHeader(here) {
  const header = document.createElement("header");
  const links = [["/", "Chat", "chat"], ["/runs", "Data", "runs"], ["/train", "Training", "train"],
    ["/ablations", "Ablations", "ablations"]];
  header.innerHTML = '<span class="brand">hindi-slm</span><nav></nav><span class="model" id="model-name"></span>';
  for (const [href, label, key] of links) {
    const a = document.createElement("a");
    a.href = href; a.textContent = label;
    if (key === here) a.className = "here";
    header.querySelector("nav").append(a);
  }
  document.body.prepend(header);
  fetch("/health").then((r) => r.json()).then((h) => { header.querySelector("#model-name").textContent = h.model; })
    .catch(() => { header.querySelector("#model-name").textContent = "server not answering"; });
}

async function fetchJSON(url) {
  const response = await fetch(url);
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error((body.error && body.error.message) || `${response.status} ${response.statusText}`);
  return body;
}

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child instanceof Node ? child : String(child));
  return node;
}

function formatNumber(value) {
  if (value === null || value === undefined) return "";
  if (Number.isInteger(value)) return value.toLocaleString("en-US");
  return Math.abs(value) >= 100 ? value.toFixed(1) : Math.abs(value) >= 0.01 ? value.toFixed(4) : value.toExponential(2);
}

// The last path segment after `prefix` ("/runs/sample" -> "sample"), or "" on the index page.
function pathArgument(prefix) {
  const rest = decodeURIComponent(location.pathname.slice(prefix.length)).replace(/^\/+|\/+$/g, "");
  return rest;
}
