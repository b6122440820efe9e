// Evidence page: drop or paste files to upload them. Each file is sent as the raw body
// of a PUT to the API's streaming endpoint (nothing is read into memory here either),
// with progress; the page reloads to show the new items with their SHA-256. Without
// JavaScript the plain upload form below does the same.
(function () {
  "use strict";
  var zone = document.getElementById("evidence-drop");
  if (!zone) return;
  var bar = document.getElementById("evidence-progress");
  var status = document.getElementById("evidence-status");
  var url = zone.getAttribute("data-upload-url");
  var csrf = zone.getAttribute("data-csrf");
  zone.hidden = false;

  function say(text) { status.textContent = text; }

  function send(file) {
    return new Promise(function (resolve, reject) {
      var xhr = new XMLHttpRequest();
      xhr.open("PUT", url + "?filename=" + encodeURIComponent(file.name || "pasted"));
      xhr.setRequestHeader("X-CSRF-Token", csrf);
      xhr.setRequestHeader("Content-Type", file.type || "application/octet-stream");
      xhr.upload.onprogress = function (e) {
        if (e.lengthComputable) bar.value = Math.round((100 * e.loaded) / e.total);
      };
      xhr.onload = function () {
        if (xhr.status === 201) { resolve(JSON.parse(xhr.responseText)); return; }
        var detail = xhr.statusText;
        try { detail = JSON.parse(xhr.responseText).detail || detail; } catch (ignored) { /* not JSON */ }
        reject(new Error(file.name + ": " + detail));
      };
      xhr.onerror = function () { reject(new Error(file.name + ": the upload failed")); };
      xhr.send(file);
    });
  }

  function upload(files) {
    if (!files.length) return;
    bar.hidden = false;
    var done = 0;
    var chain = Promise.resolve();
    Array.prototype.forEach.call(files, function (file) {
      chain = chain.then(function () {
        bar.value = 0;
        say("Uploading " + file.name + " (" + (done + 1) + " of " + files.length + ")…");
        return send(file).then(function (item) {
          done += 1;
          say(item.label + " stored, SHA-256 " + item.sha256);
        });
      });
    });
    chain.then(function () {
      window.location.assign(window.location.pathname + "?done=added");
    }, function (err) {
      bar.hidden = true;
      zone.classList.add("failed");
      say(err.message);
    });
  }

  ["dragenter", "dragover"].forEach(function (type) {
    zone.addEventListener(type, function (e) {
      e.preventDefault();
      zone.classList.add("over");
    });
  });
  zone.addEventListener("dragleave", function () { zone.classList.remove("over"); });
  zone.addEventListener("drop", function (e) {
    e.preventDefault();
    zone.classList.remove("over");
    if (e.dataTransfer) upload(e.dataTransfer.files);
  });
  document.addEventListener("paste", function (e) {
    var target = e.target;
    if (target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA")) return;
    var files = e.clipboardData ? e.clipboardData.files : [];
    if (files && files.length) {
      e.preventDefault();
      upload(files);
    }
  });
})();
