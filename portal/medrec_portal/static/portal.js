// Progressive enhancement only: every page works without this file.
// A copy being made: ask the portal every two seconds, and show the page again once it is ready.
(function () {
  "use strict";
  var box = document.getElementById("copy-status");
  if (!box) { return; }
  var url = box.getAttribute("data-poll-url");
  if (!url) { return; }
  var tries = 0;
  function poll() {
    tries += 1;
    if (tries > 300) { return; }  // ten minutes: the refresh link stays
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (body) {
        if (body.status === "pending") { window.setTimeout(poll, 2000); }
        else { window.location.reload(); }
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 1000);
})();
