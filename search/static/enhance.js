// Progressive enhancement only: every page works without this file.
document.addEventListener("DOMContentLoaded", () => {
  // Changing the mode or the sort order searches again at once (the buttons still work without JS).
  for (const el of document.querySelectorAll("select[data-autosubmit], form.search input[name=mode]")) {
    el.addEventListener("change", () => {
      const q = document.getElementById("q");
      if (el.name === "mode" && q && !q.value.trim()) return;
      el.form.requestSubmit();
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
