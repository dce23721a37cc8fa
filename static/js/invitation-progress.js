/* The invitations page: while emails are queued, poll the counts and update them in place.
   Loaded from 'self' (no inline script, CSP-safe); without JavaScript the "Refresh" link
   reloads the page. Stops when nothing is queued, when the tab is hidden, or on an error. */
(function () {
  "use strict";
  var section = document.querySelector("[data-progress-url]");
  if (!section || !window.fetch) {
    return;
  }
  var url = section.getAttribute("data-progress-url");
  var note = section.querySelector("[data-progress-note]");
  var refresh = section.querySelector("[data-refresh]");
  var delay = 1500;
  var timer = null;
  var failures = 0;

  function show(data) {
    Object.keys(data.counts).forEach(function (status) {
      var cell = section.querySelector('[data-count="' + status + '"]');
      if (cell) {
        cell.textContent = String(data.counts[status]);
      }
    });
    var total = section.querySelector('[data-count="total"]');
    if (total) {
      total.textContent = String(data.total);
    }
  }

  function finished() {
    section.setAttribute("data-sending", "false");
    if (note && refresh) {
      // Rows of the table below were rendered while sending: offer the fresh list.
      note.textContent = "";
      note.appendChild(document.createTextNode(note.getAttribute("data-done-text") || ""));
      note.appendChild(document.createTextNode(" "));
      refresh.textContent = refresh.getAttribute("data-done-link") || refresh.textContent;
      note.appendChild(refresh);
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
        if (data.sending) {
          delay = Math.min(delay * 1.25, 10000);
          timer = window.setTimeout(poll, delay);
        } else {
          finished();
        }
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
