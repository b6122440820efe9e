// The review editor's live preview: the Markdown is posted to the server (which renders
// it as everywhere else) a moment after typing stops. Without JavaScript the form's
// Preview button does the same with a page load.
(function () {
  "use strict";
  const form = document.querySelector("form.review-editor");
  if (!form) return;
  const text = form.querySelector("textarea[name=body]");
  const pane = document.getElementById("review-preview");
  const url = form.dataset.previewUrl;
  const token = form.querySelector("input[name=csrf_token]").value;
  let timer = null;
  let asked = 0;
  async function refresh() {
    const mine = ++asked;
    const body = new URLSearchParams({ csrf_token: token, body: text.value });
    try {
      const response = await fetch(url, { method: "POST", body: body, credentials: "same-origin" });
      if (response.ok && mine === asked) {
        pane.innerHTML = await response.text();
        pane.dataset.rendered = String(mine);
      }
    } catch (e) {
      // offline: the Preview button still works
    }
  }
  text.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(refresh, 300);
  });
  const button = form.querySelector(".review-preview-button");
  if (button) button.hidden = true;
})();
