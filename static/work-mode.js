// Work mode: one touch after another without leaving the page, driven by the keyboard.
// Without this script every form still posts and the server redirects to the next touch.
(function () {
  "use strict";
  var root = document.querySelector("[data-work-mode]");
  if (!root) return;

  function typing(target) {
    return target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement ||
      target instanceof HTMLSelectElement || (target && target.isContentEditable);
  }

  function focusFirst(selector) {
    var el = root.querySelector(selector);
    if (el) { el.focus(); if (el.select && el.type !== "date") el.select(); }
    return el;
  }

  function choose(id) {
    var radio = root.querySelector("#" + id);
    if (radio) { radio.checked = true; radio.dispatchEvent(new Event("change", { bubbles: true })); radio.focus(); }
  }

  // Digits pick the outcome in the order the list shows them (1 = the first outcome).
  function chooseOutcome(n) {
    var select = root.querySelector("form#log select[name=outcome]");
    if (select && n < select.options.length) {
      select.selectedIndex = n;
      select.dispatchEvent(new Event("change", { bubbles: true }));
    }
  }

  // Posts a form with fetch and swaps in the card the server sends back: the next touch,
  // the same one with its errors, or "all done".
  function submitInPlace(form) {
    var body = new URLSearchParams(new FormData(form));
    root.setAttribute("aria-busy", "true");
    fetch(form.action, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/x-www-form-urlencoded", "X-Work-Mode": "card" },
      body: body
    }).then(function (response) {
      if (response.status !== 200 && response.status !== 422) throw new Error(String(response.status));
      return response.text();
    }).then(function (html) {
      root.innerHTML = html;
      root.removeAttribute("aria-busy");
      var card = root.querySelector("[data-touch-id]");
      if (card) {
        history.replaceState(null, "", "/today/work?touch=" + card.getAttribute("data-touch-id"));
        if (!focusFirst(".has-error select, .has-error input, .has-error textarea")) focusCard();
      } else {
        history.replaceState(null, "", "/today/work");
      }
    }).catch(function () {
      // Fall back to an ordinary post.
      root.removeAttribute("aria-busy");
      form.submit();
    });
  }

  root.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    event.preventDefault();
    submitInPlace(form);
  });

  document.addEventListener("keydown", function (event) {
    if ((event.ctrlKey || event.metaKey) && event.key === "Enter") {
      var log = root.querySelector("form#log");
      if (log) { event.preventDefault(); submitInPlace(log); }
      return;
    }
    if (event.key === "Escape" && typing(event.target)) { event.target.blur(); return; }
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    var handled = true;
    switch (event.key) {
      case "o": focusFirst("select[name=outcome]"); break;
      case "1": case "2": case "3": case "4": case "5": case "6": case "7": case "8":
        chooseOutcome(Number(event.key)); break;
      case "c": choose("decision-current"); break;
      case "f": choose("decision-future"); break;
      case "x": choose("decision-none"); break;
      case "u": choose("decision-unassessed"); break;
      case "t": focusFirst("textarea[name=notes]"); break;
      case "s": focusFirst("#skip-reason"); break;
      case "z": focusFirst("#snooze-until"); break;
      default: handled = false;
    }
    if (handled) event.preventDefault();
  });

  // The card, not a field, has the focus: single keys are shortcuts until a field is entered.
  function focusCard() {
    var card = root.querySelector("[data-touch-id]");
    if (card) { card.setAttribute("tabindex", "-1"); card.focus(); }
  }

  focusCard();
})();
