/* The invitations page: while emails are queued, poll the counts and update them in place.
   Loaded from 'self' (no inline script, CSP-safe); without JavaScript the "Refresh" link
   reloads the page. Polling slows down, pauses while the tab is hidden, and stops when the
   queue is empty, when the counts have not moved for a minute (a retry is scheduled), or
   after repeated errors. */
(function () {
  "use strict";
  var section = document.querySelector("[data-progress-url]");
  if (!section || !window.fetch) {
    return;
  }
  var url = section.getAttribute("data-progress-url");
  var state = section.querySelector("[data-progress-state]");
  var delay = 1500;
  var timer = null;
  var failures = 0;
  var unchanged = 0;
  var last = "";

  function show(data) {
    Object.keys(data.counts).forEach(function (status) {
      section.querySelectorAll('[data-count="' + status + '"]').forEach(function (cell) {
        cell.textContent = String(data.counts[status]);
      });
    });
    section.querySelectorAll('[data-count="total"]').forEach(function (cell) {
      cell.textContent = String(data.total);
    });
  }

  function stop(textAttribute) {
    section.setAttribute("data-sending", "false");
    if (state && state.getAttribute(textAttribute)) {
      state.textContent = state.getAttribute(textAttribute);
    }
  }

  function poll() {
    timer = null;
    if (document.hidden) {
      return; // resumed by visibilitychange
    }
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.json();
      })
      .then(function (data) {
        failures = 0;
        show(data);
        if (!data.sending) {
          stop("data-done-text");
          return;
        }
        var now = JSON.stringify(data.counts);
        unchanged = now === last ? unchanged + 1 : 0;
        last = now;
        if (unchanged >= 6 && delay >= 10000) {
          stop("data-stalled-text");
          return;
        }
        delay = Math.min(delay * 1.25, 10000);
        timer = window.setTimeout(poll, delay);
      })
      .catch(function () {
        failures += 1;
        if (failures < 5) {
          timer = window.setTimeout(poll, 5000);
        }
      });
  }

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && timer === null && section.getAttribute("data-sending") === "true") {
      poll();
    }
  });

  if (section.getAttribute("data-sending") === "true") {
    timer = window.setTimeout(poll, delay);
  }
})();
