// Related articles under a search result (templates/_related.html): fetched from the API the first
// time the reader opens the block, and built as text nodes (archive text never becomes markup).
(function () {
  "use strict";

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    if (text != null) node.textContent = text;
    return node;
  }

  function webUrl(url) {
    try {
      var parsed = new URL(url, document.baseURI);
      return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
    } catch (e) {
      return null;
    }
  }

  function fill(details) {
    var body = details.querySelector(".related__body");
    details.setAttribute("data-loaded", "");
    body.replaceChildren(el("p", { class: "hint" }, "Recherche des articles liés…"));
    fetch(details.dataset.url, { headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (answer) {
        if (!answer.results.length) {
          body.replaceChildren(el("p", { class: "hint" }, "Aucun article lié."));
          return;
        }
        var list = el("ul", { class: "related__list" });
        answer.results.forEach(function (other) {
          var item = el("li");
          var href = webUrl(other.url);
          item.appendChild(href ? el("a", { href: href }, other.title) : document.createTextNode(other.title));
          var sources = (other.shares && other.shares.sources) || [];
          if (sources.length) item.append(" ", el("span", { class: "related__shares" }, "· cite aussi " + sources.slice(0, 3).join(", ")));
          list.appendChild(item);
        });
        body.replaceChildren(list);
      })
      .catch(function () {
        details.removeAttribute("data-loaded");  // opened again: asked again
        body.replaceChildren(el("p", { class: "hint" }, "Les articles liés sont indisponibles pour le moment."));
      });
  }

  document.addEventListener("toggle", function (event) {
    var details = event.target;
    if (details.classList && details.classList.contains("related") && details.open && !details.hasAttribute("data-loaded")) {
      fill(details);
    }
  }, true);  // `toggle` does not bubble
})();
