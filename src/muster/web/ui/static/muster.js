// Progressive enhancement only: every page works without this file.
document.documentElement.classList.add("js");

// Confirm destructive actions marked with data-confirm.
document.addEventListener("submit", (event) => {
  const form = event.target;
  const message = form.getAttribute && form.getAttribute("data-confirm");
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});

document.addEventListener("click", (event) => {
  // Copy buttons: data-copy names the input whose value is copied.
  const button = event.target.closest && event.target.closest("[data-copy]");
  if (!button) return;
  const field = document.getElementById(button.getAttribute("data-copy"));
  if (!field) return;
  field.select();
  const done = () => {
    const label = button.textContent;
    button.textContent = "Copied";
    window.setTimeout(() => { button.textContent = label; }, 1500);
  };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(field.value).then(done, () => {});
  } else if (document.execCommand && document.execCommand("copy")) {
    done();
  }
});

// A "select all" checkbox: data-check-all names the checkboxes it ticks (same form).
document.addEventListener("change", (event) => {
  const box = event.target;
  const name = box.getAttribute && box.getAttribute("data-check-all");
  if (name && box.form) {
    for (const other of box.form.querySelectorAll(`input[type=checkbox][name="${name}"]`)) {
      other.checked = box.checked;
    }
  }
  showWhen(box.form);
});

// Fields that only matter for one choice: data-show-when="type=heartbeat" is shown only
// while the form's "type" field has that value (or one of "type=a|b") (all are shown without JavaScript).
function showWhen(form) {
  if (!form) return;
  for (const el of form.querySelectorAll("[data-show-when]")) {
    const [name, value] = el.getAttribute("data-show-when").split("=");
    const field = form.elements.namedItem(name);
    el.hidden = Boolean(field) && !value.split("|").includes(field.value);  // "type=a|b"
  }
}
document.addEventListener("DOMContentLoaded", () => {
  for (const form of document.querySelectorAll("form")) showWhen(form);
});
