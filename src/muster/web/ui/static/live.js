// Live updates, as progressive enhancement: every page works without this file.
//
// A page whose <main> carries data-live-topics listens to /live (server-sent events).
// When something happens it fetches its own URL again with "X-Muster-Fragment: 1" and
// swaps the answer into its [data-live-region], keeping the scroll position, the focus
// and ticked checkboxes. A page without a region (or when the fetch fails) shows a
// "refresh" notice instead. At most one refresh a second; none while the tab is hidden.
(() => {
  "use strict";
  const main = document.querySelector("[data-live-topics]");
  if (!main || !("EventSource" in window)) return;
  const region = main.querySelector("[data-live-region]");
  const GAP_MS = 1000;
  let lastRun = 0;
  let timer = null;
  let busy = false;
  let again = false;

  const url = new URL("/live", window.location.origin);
  url.searchParams.set("topics", main.dataset.liveTopics);
  if (main.dataset.liveAfter) url.searchParams.set("after", main.dataset.liveAfter);
  const source = new EventSource(url.toString());
  const names = (main.dataset.liveEvents || "").split(/\s+/).filter(Boolean);
  for (const name of names.concat("message")) source.addEventListener(name, schedule);
  window.addEventListener("pagehide", () => source.close());
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden && again && !busy) schedule();
  });

  function schedule() {
    if (document.hidden) {
      again = true; // catch up when the tab is shown again
      return;
    }
    if (timer !== null) return;
    timer = window.setTimeout(run, Math.max(0, lastRun + GAP_MS - Date.now()));
  }

  async function run() {
    timer = null;
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    again = false;
    lastRun = Date.now();
    try {
      if (!region || !(await refresh())) showNotice();
    } finally {
      busy = false;
      if (again) schedule();
    }
  }

  async function refresh() {
    let response;
    try {
      response = await fetch(window.location.href, {
        headers: { "X-Muster-Fragment": "1" },
        credentials: "same-origin",
        cache: "no-store",
      });
    } catch (_error) {
      return false;
    }
    // Anything but our fragment (a sign-in page after the session ended, an error)
    // leaves the page as it is and asks the person to reload.
    if (!response.ok || response.headers.get("X-Muster-Fragment") !== "1") return false;
    swap(await response.text());
    return true;
  }

  // How to find "the same" element in the new HTML: by id, by name and value, or href.
  function keyOf(el) {
    if (!el || el === document.body) return null;
    if (el.id) return { id: el.id };
    if (el.name) return { name: el.name, value: el.value };
    if (el.getAttribute && el.getAttribute("href")) return { href: el.getAttribute("href") };
    return null;
  }

  function findByKey(key) {
    if (key.id) return document.getElementById(key.id);
    const esc = window.CSS && CSS.escape ? CSS.escape : (s) => s.replace(/["\\]/g, "\\$&");
    if (key.name !== undefined) {
      return region.querySelector(`[name="${esc(key.name)}"][value="${esc(key.value)}"]`);
    }
    return region.querySelector(`[href="${esc(key.href)}"]`);
  }

  function swap(html) {
    const ticked = Array.from(region.querySelectorAll("input[type=checkbox]:checked"))
      .map(keyOf)
      .filter(Boolean);
    const active = document.activeElement;
    const focused = region.contains(active) ? keyOf(active) : null;
    const x = window.scrollX;
    const y = window.scrollY;
    region.setAttribute("aria-busy", "true");
    region.innerHTML = html;
    for (const key of ticked) {
      const box = findByKey(key);
      if (box && box.type === "checkbox") box.checked = true;
    }
    if (focused) {
      const el = findByKey(focused);
      if (el && typeof el.focus === "function") el.focus({ preventScroll: true });
    }
    window.scrollTo(x, y);
    region.removeAttribute("aria-busy");
    region.dispatchEvent(new CustomEvent("muster:updated", { bubbles: true }));
  }

  function showNotice() {
    if (document.getElementById("live-notice")) return;
    const notice = document.createElement("div");
    notice.id = "live-notice";
    notice.className = "live-notice";
    notice.setAttribute("role", "status");
    const text = document.createElement("span");
    text.textContent = (main.dataset.liveNotice || "This page has changed") + " — ";
    const button = document.createElement("button");
    button.type = "button";
    button.className = "link";
    button.textContent = "refresh";
    button.addEventListener("click", () => window.location.reload());
    notice.append(text, button);
    main.prepend(notice);
  }
})();
