// Prospector — the import progress page follows the import without a reload.
// Without this file the page still works: its "refresh it" link reloads it.
// Every 2 seconds it fetches the page again and puts the new progress in place; when the
// import has ended it adds the list of problems and says so to screen readers.
(function () {
  "use strict";

  var INTERVAL_MS = 2000;
  var MAX_BACKOFF_MS = 30000;

  function start() {
    var progress = document.getElementById("progress");
    if (!progress || progress.dataset.active !== "true") return;
    var announcement = document.getElementById("progress-announcement");
    var delay = INTERVAL_MS;

    function schedule() {
      window.setTimeout(poll, delay);
    }

    function poll() {
      fetch(window.location.href, {
        headers: { Accept: "text/html" },
        credentials: "same-origin",
        cache: "no-store",
      })
        .then(function (response) {
          if (!response.ok) throw new Error("status " + response.status);
          return response.text();
        })
        .then(function (html) {
          var page = new DOMParser().parseFromString(html, "text/html");
          var fresh = page.getElementById("progress");
          if (!fresh) throw new Error("no progress on the page");
          progress.innerHTML = fresh.innerHTML;
          progress.dataset.active = fresh.dataset.active;
          delay = INTERVAL_MS;
          if (fresh.dataset.active === "true") {
            schedule();
            return;
          }
          var problems = page.getElementById("problems");
          if (problems && !document.getElementById("problems")) {
            progress.after(document.importNode(problems, true));
          }
          var status = page.getElementById("import-status");
          var current = document.getElementById("import-status");
          if (status && current) current.textContent = status.textContent;
          if (announcement) {
            var heading = progress.querySelector("h2");
            announcement.textContent = "Import " + (heading ? heading.textContent : "ended").toLowerCase() + ".";
          }
        })
        .catch(function () {
          // The server may be restarting: try again, less often.
          delay = Math.min(delay * 2, MAX_BACKOFF_MS);
          schedule();
        });
    }

    schedule();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
