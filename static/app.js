// Prospector — small progressive enhancements. Every page works without this file.
(function () {
  "use strict";

  // (a) <form data-confirm="Really delete?"> asks before submitting.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-confirm")) return;
    if (!window.confirm(form.dataset.confirm || "Are you sure?")) {
      event.preventDefault();
    }
  }, true);

  // (b) [data-autosubmit] controls (filter selects) submit their form on change.
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (!(el instanceof Element) || !el.hasAttribute("data-autosubmit") || !el.form) return;
    if (typeof el.form.requestSubmit === "function") {
      el.form.requestSubmit(); // fires submit handlers and validation
    } else {
      el.form.submit();
    }
  });

  // (c) Keyboard shortcuts: "/" focuses search; a letter follows a[data-shortcut=letter].
  function isTyping(el) {
    if (!el || !(el instanceof Element)) return false;
    if (el.isContentEditable) return true;
    return /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName);
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (isTyping(event.target) || isTyping(document.activeElement)) return;
    if (event.key === "/") {
      var search = document.querySelector('input[type="search"]');
      if (search) {
        event.preventDefault();
        search.focus();
        search.select();
      }
    } else if (/^[a-z]$/.test(event.key)) {
      // Single-letter shortcuts follow the link that declares them: n (new), w (work mode).
      var link = document.querySelector('a[data-shortcut="' + event.key + '"]');
      if (link && link.href) {
        event.preventDefault();
        window.location.assign(link.href);
      }
    }
  });

  // (d) Empty datetime-local inputs marked data-default-now get the local time.
  function pad(n) {
    return (n < 10 ? "0" : "") + n;
  }

  function localNow() {
    var d = new Date();
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) +
      "T" + pad(d.getHours()) + ":" + pad(d.getMinutes());
  }

  function fillDefaults() {
    var inputs = document.querySelectorAll('input[type="datetime-local"][data-default-now]');
    Array.prototype.forEach.call(inputs, function (input) {
      if (!input.value) input.value = localNow();
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", fillDefaults);
  } else {
    fillDefaults();
  }

  // (e) Live preview of a message template: textarea[data-preview="/url"] posts its text
  // (with the form's CSRF token) 300 ms after the last keystroke and shows the returned
  // fragment in the .template-preview next to it. Without this, saving reports errors.
  var previewTimers = new WeakMap();
  var previewRequests = new WeakMap();

  function previewTarget(textarea) {
    var container = textarea.closest(".field") || textarea.parentElement;
    return container ? container.querySelector(".template-preview") : null;
  }

  function refreshPreview(textarea) {
    var target = previewTarget(textarea);
    var tokenInput = textarea.form && textarea.form.querySelector('input[name="csrf_token"]');
    if (!target || !tokenInput) return;
    var body = new URLSearchParams();
    body.set("csrf_token", tokenInput.value);
    body.set("template", textarea.value);
    var seq = (previewRequests.get(textarea) || 0) + 1;
    previewRequests.set(textarea, seq);
    fetch(textarea.getAttribute("data-preview"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: body
    }).then(function (response) {
      if (!response.ok) throw new Error("preview failed: " + response.status);
      return response.text();
    }).then(function (html) {
      // Answers can arrive out of order: only the latest request's answer is shown.
      if (previewRequests.get(textarea) !== seq) return;
      target.innerHTML = html;
      target.hidden = false;
    }).catch(function () {
      // The preview is a convenience; saving still checks the template.
    });
  }

  document.addEventListener("input", function (event) {
    var el = event.target;
    if (!(el instanceof HTMLTextAreaElement) || !el.hasAttribute("data-preview")) return;
    clearTimeout(previewTimers.get(el));
    previewTimers.set(el, setTimeout(function () { refreshPreview(el); }, 300));
  });
})();
