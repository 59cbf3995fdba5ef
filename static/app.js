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

  // (c) Keyboard shortcuts: "/" focuses search, "n" follows a[data-shortcut="n"].
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
    } else if (event.key === "n" || event.key === "N") {
      if (event.shiftKey) return;
      var link = document.querySelector('a[data-shortcut="n"]');
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
})();
