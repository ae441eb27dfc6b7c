// The search page's click beacon: when a reader opens a result, the query, the article and its
// position go to /api/v1/click (search analytics: which answers are read). Nothing about the reader.
(function () {
  "use strict";
  var list = document.querySelector(".result-list[data-click]");
  if (!list || !list.dataset.query || !navigator.sendBeacon) return;
  function report(event) {
    var link = event.target.closest ? event.target.closest("a[data-id]") : null;
    if (!link) return;
    var body = JSON.stringify({ q: list.dataset.query, id: link.dataset.id, position: parseInt(link.dataset.position, 10) });
    try { navigator.sendBeacon(list.dataset.click, body); } catch (e) { /* never stands in the reader's way */ }
  }
  list.addEventListener("click", report);
  list.addEventListener("auxclick", report);  // a middle click opens the result in a new tab
})();
