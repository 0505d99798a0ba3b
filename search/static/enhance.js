// Progressive enhancement only: every page works without this file.
"use strict";

// The search box as an ARIA 1.2 combobox (list autocomplete): completions from /api/suggest as the
// reader types, debounced, the request in flight cancelled when a newer one supersedes it; arrows
// move, Enter picks (or searches), Escape closes; a live region says how many completions there are.
function combobox(box) {
  const listbox = document.createElement("ul");
  listbox.id = box.id + "-listbox";
  listbox.setAttribute("role", "listbox");
  listbox.setAttribute("aria-label", box.dataset.listboxLabel || "Suggestions");
  listbox.hidden = true;
  box.after(listbox);
  const status = document.createElement("div");
  status.className = "visually-hidden";
  status.setAttribute("role", "status");
  box.form.append(status);
  box.setAttribute("role", "combobox");
  box.setAttribute("aria-autocomplete", "list");
  box.setAttribute("aria-expanded", "false");
  box.setAttribute("aria-controls", listbox.id);

  const plural = new Intl.PluralRules(document.documentElement.lang || "en");
  const counted = (n) => {
    const form = { one: box.dataset.nOne, few: box.dataset.nFew }[plural.select(n)] || box.dataset.nMany || "";
    return form.replace(/\d+/, String(n));
  };
  let options = [];
  let active = -1;
  let timer = null;
  let pending = null;
  let asked = "";

  const close = () => {
    listbox.hidden = true;
    box.setAttribute("aria-expanded", "false");
    box.removeAttribute("aria-activedescendant");
    active = -1;
  };
  const highlight = (index) => {
    options.forEach((option, i) => option.setAttribute("aria-selected", i === index ? "true" : "false"));
    active = index;
    if (index < 0) {
      box.removeAttribute("aria-activedescendant");
    } else {
      box.setAttribute("aria-activedescendant", options[index].id);
      options[index].scrollIntoView({ block: "nearest" });
    }
  };
  const open = () => {
    if (!options.length) return;
    listbox.hidden = false;
    box.setAttribute("aria-expanded", "true");
  };
  const choose = (index) => {
    box.value = options[index].dataset.value;
    close();
    box.form.requestSubmit();
  };
  const show = (suggestions) => {
    options = suggestions.map((s, i) => {
      const option = document.createElement("li");
      option.id = `${listbox.id}-${i}`;
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", "false");
      option.lang = s.language;
      option.dataset.value = s.text;
      option.textContent = s.text;
      option.addEventListener("mousedown", (event) => event.preventDefault()); // keep the focus in the box
      option.addEventListener("click", () => choose(i));
      return option;
    });
    listbox.replaceChildren(...options);
    active = -1;
    status.textContent = options.length ? counted(options.length) : box.dataset.none || "";
    if (options.length) open();
    else close();
  };
  const ask = async () => {
    const text = box.value;
    if (text.trim().length < 2) {
      if (pending) pending.abort();
      show([]);
      status.textContent = "";
      return;
    }
    if (text === asked) return;
    asked = text;
    if (pending) pending.abort(); // superseded: the older answer is no longer wanted
    pending = new AbortController();
    try {
      const params = new URLSearchParams({ q: text, limit: "8" });
      const response = await fetch(`${box.dataset.suggest}?${params}`, { signal: pending.signal });
      if (!response.ok || box.value !== text) return;
      show((await response.json()).suggestions);
    } catch (error) {
      // aborted, offline or the service restarting: no completions, the search still works
    }
  };

  box.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(ask, 150);
  });
  box.addEventListener("keydown", (event) => {
    const shown = !listbox.hidden;
    if (event.key === "ArrowDown") {
      event.preventDefault();
      if (!shown) { open(); highlight(event.altKey ? -1 : 0); return; }
      highlight(active + 1 < options.length ? active + 1 : 0);
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      if (!shown) { open(); highlight(options.length - 1); return; }
      highlight(active > 0 ? active - 1 : options.length - 1);
    } else if (event.key === "Enter" && shown && active >= 0) {
      event.preventDefault();
      choose(active);
    } else if (event.key === "Escape") {
      if (shown) { event.preventDefault(); close(); }
      else if (box.value) { event.preventDefault(); box.value = ""; asked = ""; }
    }
  });
  box.addEventListener("blur", close);
}

document.addEventListener("DOMContentLoaded", () => {
  // Changing the mode or the sort order searches again at once (the buttons still work without JS).
  // Ticking a facet value applies it at once (the "Apply filters" button still works without JS).
  for (const el of document.querySelectorAll("form.facet-filters input[data-autosubmit]")) {
    el.addEventListener("change", () => el.form.requestSubmit());
  }
  for (const el of document.querySelectorAll("select[data-autosubmit], form.search input[name=mode]")) {
    el.addEventListener("change", () => {
      const q = document.getElementById("q");
      if (el.name === "mode" && q && !q.value.trim()) return;
      el.form.requestSubmit();
    });
  }
  const box = document.getElementById("q");
  if (box && box.dataset.suggest) combobox(box);
  // Filters: beside the results on a wide screen (open), folded above them on a phone.
  const filters = document.querySelector("details.filters");
  if (filters && window.matchMedia("(min-width: 48.01rem)").matches) filters.open = true;
  // "Link to this page" copies the address where the clipboard is available.
  for (const link of document.querySelectorAll("a[data-copy-link]")) {
    link.addEventListener("click", async (event) => {
      if (!navigator.clipboard) return;
      event.preventDefault();
      await navigator.clipboard.writeText(link.href);
      link.textContent = link.dataset.copied || "Link copied";
    });
  }
});
