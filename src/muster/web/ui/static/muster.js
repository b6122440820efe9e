// Progressive enhancement only: every page works without this file.
// Confirm destructive actions marked with data-confirm.
document.addEventListener("submit", (event) => {
  const form = event.target;
  const message = form.getAttribute && form.getAttribute("data-confirm");
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});
