// Live updates for the Alongside console. The server pushes an event (ids only)
// when a phone's sync changes a pairing of this organisation; this re-fetches the
// page's live fragment, which the server renders from projections. Without this
// script every page still works: it just needs a reload to show new syncs.
"use strict";
(function () {
  var live = document.getElementById("live");
  if (!live || !window.EventSource || !window.fetch) return;
  var url = live.getAttribute("data-live-fragment");
  var only = live.getAttribute("data-live-mentorship");
  var status = document.getElementById("live-status");
  var pending = null;

  function refresh() {
    pending = null;
    fetch(url, { credentials: "same-origin", redirect: "manual", headers: { Accept: "text/html" } })
      .then(function (response) {
        // Signed out or expired: a reload lands on the sign-in page.
        if (response.type === "opaqueredirect" || response.status === 401) {
          window.location.reload();
          return null;
        }
        return response.ok ? response.text() : null;
      })
      .then(function (html) {
        if (html === null) return;
        live.innerHTML = html;
        if (status) status.textContent = "Updated at " + new Date().toLocaleTimeString() + " after a phone synced.";
      })
      .catch(function () {
        if (status) status.textContent = "Could not refresh; reload the page to see the latest.";
      });
  }

  var events = new EventSource("/console/events");
  // Marks the page as listening (the browser test waits for it before syncing).
  events.addEventListener("open", function () { live.setAttribute("data-live-connected", "true"); });
  events.addEventListener("changed", function (event) {
    var data = {};
    try { data = JSON.parse(event.data); } catch (ignored) { data = {}; }
    if (only && data.mentorship_id && data.mentorship_id !== only) return;
    // One phone's sync can change several documents: refresh once for the burst.
    if (pending === null) pending = window.setTimeout(refresh, 300);
  });
})();
