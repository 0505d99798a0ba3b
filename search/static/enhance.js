// Progressive enhancement only: every page works without this file.
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
  // Completion as you type: /api/suggest fills the search box's list (titles, names, words).
  const box = document.getElementById("q");
  const list = document.getElementById("q-completions");
  if (box && list) {
    let timer = null;
    let asked = "";
    box.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(async () => {
        const text = box.value;
        if (text.trim().length < 2 || text === asked) return;
        asked = text;
        try {
          const response = await fetch("/api/suggest?" + new URLSearchParams({ q: text, limit: "8" }));
          if (!response.ok || box.value !== text) return;
          const { suggestions } = await response.json();
          list.replaceChildren(...suggestions.map((s) => {
            const option = document.createElement("option");
            option.value = s.text;
            option.label = s.kind === "title" ? "commentary" : s.kind === "name" ? "name" : "";
            return option;
          }));
        } catch (error) { /* offline or the service restarting: no completions, search still works */ }
      }, 120);
    });
  }
  // "Link to this page" copies the address where the clipboard is available.
  for (const link of document.querySelectorAll("a[data-copy-link]")) {
    link.addEventListener("click", async (event) => {
      if (!navigator.clipboard) return;
      event.preventDefault();
      await navigator.clipboard.writeText(link.href);
      link.textContent = "Link copied";
    });
  }
});
