// The chat page: conversations kept in this browser (localStorage), replies streamed from
// /v1/chat/completions as server-sent events; Stop aborts the request, which frees the server's slot.
"use strict";

const STORE = "hindi-slm.conversations";
const state = { conversations: JSON.parse(localStorage.getItem(STORE) || "[]"), current: null, abort: null, model: null };
const $ = (id) => document.getElementById(id);

function save() { localStorage.setItem(STORE, JSON.stringify(state.conversations)); }

function newConversation() {
  const conversation = { id: String(Date.now()), title: "New conversation", messages: [] };
  state.conversations.unshift(conversation);
  state.current = conversation;
  save(); render();
  $("input").focus();
}

function renderList() {
  const list = $("conversation-list");
  list.replaceChildren(...state.conversations.map((c) => element("li", {
    class: c === state.current ? "current" : "", title: c.title,
    onclick: () => { if (!state.abort) { state.current = c; render(); } },
  }, c.title)));
}

function messageElement(message) {
  const node = element("div", { class: `message ${message.role}`, lang: "hi" }, message.content);
  if (message.meta) node.append(element("span", { class: "meta" }, message.meta));
  if (message.finish) node.dataset.finish = message.finish;
  return node;
}

function render() {
  renderList();
  $("messages").replaceChildren(...state.current.messages.map(messageElement));
  $("messages").scrollTop = $("messages").scrollHeight;
}

function sampling() {
  const number = (id) => Number($(id).value);
  const body = { temperature: number("temperature"), top_k: number("top_k"), top_p: number("top_p"),
                 repetition_penalty: number("repetition_penalty"), max_tokens: number("max_tokens") };
  if ($("seed").value !== "") body.seed = number("seed");
  return body;
}

async function* serverSentEvents(response) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const data = buffer.slice(0, end).split("\n").filter((l) => l.startsWith("data: ")).map((l) => l.slice(6)).join("\n");
      buffer = buffer.slice(end + 2);
      if (data) yield data;
    }
  }
}

async function streamReply(conversation, reply, node) {
  const system = $("system").value.trim();
  const history = conversation.messages.filter((m) => m !== reply).map(({ role, content }) => ({ role, content }));
  const messages = system ? [{ role: "system", content: system }, ...history] : history;
  state.abort = new AbortController();
  const started = performance.now();
  const response = await fetch("/v1/chat/completions", {
    method: "POST", headers: { "Content-Type": "application/json" }, signal: state.abort.signal,
    body: JSON.stringify({ model: state.model, messages, stream: true, stream_options: { include_usage: true }, ...sampling() }),
  });
  if (!response.ok) {
    const body = await response.json().catch(() => ({}));
    throw new Error((body.error && body.error.message) || `${response.status} ${response.statusText}`);
  }
  let usage = null;
  for await (const data of serverSentEvents(response)) {
    if (data === "[DONE]") break;
    const chunk = JSON.parse(data);
    if (chunk.error) throw new Error(chunk.error.message);
    if (chunk.usage) usage = chunk.usage;
    for (const choice of chunk.choices || []) {
      if (choice.delta && choice.delta.content) { reply.content += choice.delta.content; node.firstChild.textContent = reply.content; }
      if (choice.finish_reason) reply.finish = choice.finish_reason;
    }
    $("messages").scrollTop = $("messages").scrollHeight;
  }
  const seconds = (performance.now() - started) / 1000;
  const tokens = usage ? usage.completion_tokens : 0;
  reply.meta = `${tokens} tokens · ${(tokens / seconds).toFixed(1)} tokens/s · ${reply.finish === "length" ? "hit the token limit" : "the model ended its turn"}`;
}

async function send(event) {
  event.preventDefault();
  const text = $("input").value.trim();
  if (!text || state.abort) return;
  const conversation = state.current;
  if (!conversation.messages.length) conversation.title = text.slice(0, 40);
  const question = { role: "user", content: text };
  const reply = { role: "assistant", content: "" };
  conversation.messages.push(question, reply);
  $("input").value = "";
  render();
  const node = $("messages").lastChild;
  $("send").disabled = true; $("stop").disabled = false;
  try {
    await streamReply(conversation, reply, node);
  } catch (err) {
    const stopped = err.name === "AbortError";
    reply.finish = stopped ? "stopped" : "error";
    reply.meta = stopped ? "stopped" : `error: ${err.message}`;
    if (!reply.content) {  // nothing came: take the turn back, so roles still alternate
      conversation.messages.splice(conversation.messages.indexOf(question), 2);
      $("input").value = text;
      $("messages").append(element("div", { class: "message assistant error", "data-finish": reply.finish }, reply.meta));
      state.abort = null; $("send").disabled = false; $("stop").disabled = true;
      save(); renderList();
      return;
    }
  }
  state.abort = null; $("send").disabled = false; $("stop").disabled = true;
  save(); render();
}

function keydown(event) {
  // Enter sends; not while an input method is composing (Devanagari keyboards compose with Enter too).
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) send(event);
}

async function start() {
  renderHeader("chat");
  const models = await fetchJSON("/v1/models");
  state.model = models.data[0].id;
  const health = await fetchJSON("/health");
  $("max_tokens").max = health.limits.max_tokens;
  const sampling = health.sampling;  // the project's defaults (model/sampling.py); an off limit shows as 0 or 1
  $("temperature").value = sampling.temperature;
  $("top_k").value = sampling.top_k || 0;
  $("top_p").value = sampling.top_p ?? 1;
  $("repetition_penalty").value = sampling.repetition_penalty;
  $("limits").textContent = `This server gives up to ${health.limits.max_tokens} new tokens per reply and takes `
    + `messages of up to ${health.limits.max_message_chars} characters.`;
  if (!state.conversations.length) newConversation();
  state.current = state.current || state.conversations[0];
  render();
  $("composer").addEventListener("submit", send);
  $("input").addEventListener("keydown", keydown);
  $("stop").addEventListener("click", () => state.abort && state.abort.abort());
  $("new-chat").addEventListener("click", () => { if (!state.abort) newConversation(); });
  $("delete-chat").addEventListener("click", () => {
    if (state.abort) return;
    state.conversations = state.conversations.filter((c) => c !== state.current);
    save();
    if (!state.conversations.length) newConversation();
    state.current = state.conversations[0]; render();
  });
}

start();
