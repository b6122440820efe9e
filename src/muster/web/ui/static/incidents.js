// Keyboard shortcuts on an incident's page, as progressive enhancement: every action
// they reach is a plain form that works without this file. Never while typing in a field.
//   n  write a note        t  add a task         u  post a status update
//   s  change the status   c  assign the Commander   ?  show or hide this help
(() => {
  "use strict";
  const TARGETS = {
    n: "note-body",
    t: "task-title",
    u: "update-conditions",
    s: "status-first",
    c: "role-commander-user",
  };
  const help = document.getElementById("shortcut-help");

  function typing(el) {
    if (!el || el === document.body) return false;
    const tag = el.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable;
  }

  function toggleHelp() {
    if (!help || typeof help.showModal !== "function") return;
    if (help.open) help.close();
    else help.showModal();
  }

  function go(id) {
    const el = document.getElementById(id);
    if (!el) return false;
    el.scrollIntoView({ block: "center" });
    el.focus({ preventScroll: true });
    return true;
  }

  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.altKey || event.metaKey) return;
    const el = event.target;
    // Ctrl+Enter sends the form being typed in (a note, an update).
    if (event.ctrlKey && event.key === "Enter" && el && el.form && el.tagName === "TEXTAREA") {
      event.preventDefault();
      el.form.requestSubmit();
      return;
    }
    if (event.ctrlKey) return;
    if (typing(el)) {
      if (event.key === "Escape") el.blur();
      return;
    }
    if (help && help.open && event.key !== "?") return; // the dialog handles Esc itself
    if (event.key === "?") {
      event.preventDefault();
      toggleHelp();
      return;
    }
    const id = TARGETS[event.key];
    if (id && go(id)) event.preventDefault();
  });
})();
