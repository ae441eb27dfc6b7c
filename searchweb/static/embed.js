/* archive-search widget: a search box and results from an archive-search service, on any site.
 *
 *   <div data-archive-search data-per-page="5" data-facets="tag,year"></div>
 *   <script src="https://search.example.org/embed.js" async></script>
 *
 * Attributes (on the element, or on the script tag as defaults for every element):
 *   data-endpoint  the service's address (default: where this script was loaded from)
 *   data-per-page  results per page, 1 to 50 (default 5)
 *   data-facets    facets offered as chips, among tag, category, source, year, author (default "tag,year")
 *
 * Related articles, on an article's own page (the articles most like it: its words, tags and the
 * sources it quotes):
 *
 *   <div data-archive-search-related data-article-id="105" data-limit="5"></div>
 *
 *   data-article-id  the article's id in the archive (required)
 *   data-limit       how many, 1 to 20 (default 5)
 *   data-title       the block's heading (default "À lire aussi"); data-endpoint as above
 * An unknown id, an error or no related article leaves the element empty.
 *
 * The search box offers completions as you type (an ARIA combobox: arrows, Enter, Escape).
 *
 * It renders into a Shadow DOM (the host page's styles and ours never mix), reads the JSON API
 * through CORS without credentials, and builds every node itself: archive text is only ever text,
 * and the one HTML field, the snippet, is reduced to text and <mark>.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  var defaults = (script && script.dataset) || {};
  var scriptOrigin = script && script.src ? new URL(script.src, document.baseURI).origin : window.location.origin;
  var FACETS = { tag: "Mots-clés", category: "Rubriques", source: "Sources", year: "Années", author: "Auteurs" };
  var CHIPS_PER_FACET = 8;

  var CSS = [
    ":host { display: block; font: 15px/1.5 system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; color: #1d2330; }",
    "* { box-sizing: border-box; }",
    ".box { border: 1px solid #dfe3ea; border-radius: 10px; padding: 1rem; background: #fff; }",
    "form { display: flex; gap: .5rem; }",
    "label, .visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }",
    ".field { position: relative; flex: 1; min-width: 0; display: flex; }",
    "input { flex: 1; min-width: 0; font: inherit; padding: .5rem .7rem; border: 1px solid #b9c1cf; border-radius: 8px; }",
    ".completions { position: absolute; top: calc(100% + 4px); left: 0; right: 0; z-index: 20; margin: 0; padding: .25rem 0; list-style: none; max-height: 16rem; overflow-y: auto; background: #fff; border: 1px solid #b9c1cf; border-radius: 8px; box-shadow: 0 8px 24px rgba(29, 35, 48, .12); }",
    ".completions[hidden] { display: none; }",
    ".completions__option { padding: .35rem .7rem; cursor: pointer; }",
    ".completions__option:hover { background: #f5f6f9; }",
    ".completions__option[aria-selected=true] { background: #1f5eae; color: #fff; outline: 2px solid transparent; }",
    "button { font: inherit; cursor: pointer; border-radius: 8px; border: 1px solid #b9c1cf; background: #fff; padding: .45rem .8rem; }",
    "button[type=submit] { background: #1f5eae; border-color: #1f5eae; color: #fff; font-weight: 600; }",
    "button:disabled { opacity: .5; cursor: default; }",
    ":focus-visible { outline: 3px solid #1f5eae; outline-offset: 2px; }",
    ".status { color: #5b6475; margin: .75rem 0 .5rem; font-size: .9rem; }",
    ".chips { display: flex; flex-wrap: wrap; gap: .35rem; margin-bottom: .5rem; }",
    ".facet { font-size: .75rem; font-weight: 700; color: #5b6475; text-transform: uppercase; letter-spacing: .04em; align-self: center; margin-left: .25rem; }",
    ".chip { font-size: .8rem; padding: .1rem .55rem; border-radius: 999px; background: #f5f6f9; border-color: #dfe3ea; }",
    ".chip[aria-pressed=true] { background: #e7effa; border-color: #1f5eae; color: #123f78; font-weight: 600; }",
    "ol { list-style: none; margin: 0; padding: 0; }",
    "li.result { padding: .75rem 0; border-top: 1px solid #dfe3ea; }",
    ".title { font-weight: 700; font-size: 1.05rem; color: #1f5eae; text-decoration: none; overflow-wrap: anywhere; }",
    "a.title:hover { text-decoration: underline; }",
    ".date { color: #5b6475; font-size: .85rem; }",
    ".snippet { margin: .25rem 0 0; overflow-wrap: anywhere; }",
    "mark { background: #ffe98a; color: inherit; border-radius: 3px; padding: 0 .1em; }",
    ".pager { display: flex; justify-content: space-between; align-items: center; margin-top: .75rem; font-size: .9rem; }",
    "h2.related-title { font-size: 1rem; margin: 0 0 .25rem; }",
    ".shares { color: #5b6475; font-size: .85rem; margin: .15rem 0 0; }"
  ].join("\n");

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    if (text != null) node.textContent = text;
    return node;
  }

  function httpUrl(url, base) {
    try {
      var parsed = new URL(url, base);
      return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
    } catch (e) {
      return null;
    }
  }

  // The snippet is escaped text with <mark>: parse it in an inert document (nothing runs or loads
  // there) and keep only text and <mark>, rebuilt as fresh nodes.
  function snippetNodes(html) {
    var parsed = new DOMParser().parseFromString("<p>" + html + "</p>", "text/html").body;
    var out = document.createDocumentFragment();
    Array.prototype.forEach.call(parsed.firstChild ? parsed.firstChild.childNodes : [], function (node) {
      out.appendChild(node.nodeName === "MARK" ? el("mark", null, node.textContent) : document.createTextNode(node.textContent));
    });
    return out;
  }

  function frenchDate(iso) {
    var date = new Date(iso + "T12:00:00");
    return isNaN(date) ? iso : date.toLocaleDateString("fr-FR", { day: "numeric", month: "long", year: "numeric" });
  }

  function styleInto(root) {
    // A constructed stylesheet is not inline style, so a host page's strict CSP does not block it.
    if ("adoptedStyleSheets" in root && typeof CSSStyleSheet === "function" && CSSStyleSheet.prototype.replaceSync) {
      var sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
      root.adoptedStyleSheets = [sheet];
    } else {
      root.appendChild(el("style", null, CSS));
    }
  }

  // A reader opened a result: tell the service (query, article, position; nothing about the reader).
  // A beacon outlives the page being left; text/plain needs no preflight from another site.
  function reportClick(endpoint, query, id, position) {
    try {
      var body = JSON.stringify({ q: query, id: id, position: position });
      if (!(navigator.sendBeacon && navigator.sendBeacon(endpoint + "/api/v1/click", body))) {
        fetch(endpoint + "/api/v1/click", { method: "POST", body: body, mode: "no-cors", credentials: "omit", keepalive: true });
      }
    } catch (e) { /* the click itself must never fail */ }
  }

  function setting(host, name, fallback) {
    return host.dataset[name] || defaults[name] || fallback;
  }

  function mount(host) {
    if (host.shadowRoot) return;  // already mounted
    var endpoint = setting(host, "endpoint", scriptOrigin).replace(/\/+$/, "");
    var perPage = Math.min(50, Math.max(1, parseInt(setting(host, "perPage", "5"), 10) || 5));
    var facets = setting(host, "facets", "tag,year").split(",")
      .map(function (name) { return name.trim(); })
      .filter(function (name) { return FACETS.hasOwnProperty(name); });
    var state = { q: "", page: 1, filters: {} };
    var asked = 0;

    var root = host.attachShadow({ mode: "open" });
    styleInto(root);
    var box = el("div", { class: "box", part: "box" });
    var form = el("form", { role: "search" });
    var label = el("label", { for: "q" }, "Rechercher dans les archives");
    var input = el("input", { id: "q", type: "search", name: "q", placeholder: "Rechercher dans les archives…", autocomplete: "off" });
    var field = el("div", { class: "field" });
    var listbox = el("ul", { id: "completions", class: "completions", role: "listbox", "aria-label": "Suggestions", hidden: "" });
    var spoken = el("p", { class: "visually-hidden", role: "status", "aria-live": "polite" });
    field.append(input, listbox);
    form.append(label, field, el("button", { type: "submit" }, "Rechercher"), spoken);
    var status = el("p", { class: "status", role: "status", "aria-live": "polite" });
    var chips = el("div", { class: "chips" });
    var list = el("ol", { class: "results" });
    var pager = el("div", { class: "pager" });
    box.append(form, status, chips, list, pager);
    root.appendChild(box);

    function search() {
      state.q = input.value.trim();
      state.page = 1;
      run();
    }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      search();
    });
    // The page's completions (combobox.js, served with this file as /embed.js).
    if (typeof ArchiveSearchCompletions === "function") {
      ArchiveSearchCompletions(input, listbox, spoken, endpoint + "/api/v1/suggest", search);
    }

    function run() {
      var params = new URLSearchParams({ q: state.q, page: state.page, per_page: perPage });
      if (!state.q) params.set("sort", "date");  // no words: the newest articles first
      Object.keys(state.filters).forEach(function (facet) {
        state.filters[facet].forEach(function (value) { params.append(facet, value); });
      });
      var ticket = ++asked;
      status.textContent = "Recherche…";
      fetch(endpoint + "/api/v1/search?" + params, { mode: "cors", credentials: "omit" })
        .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
        .then(function (answer) { if (ticket === asked) render(answer); })
        .catch(function () { if (ticket === asked) status.textContent = "La recherche est indisponible pour le moment."; });
    }

    function toggle(facet, value) {
      var values = state.filters[facet] || [];
      var at = values.indexOf(value);
      if (at >= 0) values.splice(at, 1); else values.push(value);
      state.filters[facet] = values;
      state.page = 1;
      run();
    }

    function render(answer) {
      // The status is a live region: this sentence is what a screen reader says after each search.
      var total = answer.total;
      var articles = function (n) { return n + (n > 1 ? " articles" : " article"); };
      var forQuery = state.q ? " pour « " + state.q + " »" : "";
      status.textContent = answer.corrected
        ? "Aucun article" + forQuery + " ; " + articles(total) + " pour « " + answer.suggestion + " »"
        : (total === 0 ? "Aucun article" : articles(total)) + forQuery
          + (answer.pages > 1 ? ", page " + answer.page + " sur " + answer.pages : "");
      chips.replaceChildren();
      facets.forEach(function (facet) {
        var values = (answer.facets[facet] || []).slice(0, CHIPS_PER_FACET);
        if (values.length) chips.appendChild(el("span", { class: "facet" }, FACETS[facet]));
        values.forEach(function (item) {
          var chip = el("button", { type: "button", class: "chip", "aria-pressed": String(item.selected),
                                    title: FACETS[facet] }, item.value + " (" + item.count + ")");
          chip.addEventListener("click", function () { toggle(facet, item.value); });
          chips.appendChild(chip);
        });
      });
      list.replaceChildren();
      answer.results.forEach(function (result, index) {
        var item = el("li", { class: "result" });
        var href = httpUrl(result.url, endpoint);
        var title = href ? el("a", { class: "title", href: href, target: "_top" }, result.title) : el("span", { class: "title" }, result.title);
        if (href && state.q) {
          var position = (answer.page - 1) * perPage + index + 1, query = state.q;
          title.addEventListener("click", function () { reportClick(endpoint, query, result.id, position); });
        }
        item.appendChild(title);
        if (result.date) item.append(" ", el("span", { class: "date" }, "· " + frenchDate(result.date)));
        var snippet = el("p", { class: "snippet" });
        snippet.appendChild(snippetNodes(result.snippet || ""));
        item.appendChild(snippet);
        list.appendChild(item);
      });
      pager.replaceChildren();
      if (answer.pages > 1) {
        var previous = el("button", { type: "button" }, "‹ Précédents");
        var next = el("button", { type: "button" }, "Suivants ›");
        previous.disabled = answer.page <= 1;
        next.disabled = answer.page >= answer.pages;
        previous.addEventListener("click", function () { state.page -= 1; run(); });
        next.addEventListener("click", function () { state.page += 1; run(); });
        pager.append(previous, el("span", null, "Page " + answer.page + " sur " + answer.pages), next);
      }
    }

    run();
  }

  // Related articles: a list of links, filled once from /api/v1/articles/{id}/related.
  function mountRelated(host) {
    if (host.shadowRoot) return;
    var id = host.dataset.articleId;
    if (!id) return;
    var endpoint = setting(host, "endpoint", scriptOrigin).replace(/\/+$/, "");
    var limit = Math.min(20, Math.max(1, parseInt(setting(host, "limit", "5"), 10) || 5));
    var root = host.attachShadow({ mode: "open" });
    styleInto(root);
    var url = endpoint + "/api/v1/articles/" + encodeURIComponent(id) + "/related?limit=" + limit;
    fetch(url, { mode: "cors", credentials: "omit" })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (answer) {
        if (!answer.results.length) return;
        var box = el("section", { class: "box related", part: "box", "aria-label": setting(host, "title", "À lire aussi") });
        box.appendChild(el("h2", { class: "related-title" }, setting(host, "title", "À lire aussi")));
        var list = el("ol", { class: "results" });
        answer.results.forEach(function (result) {
          var item = el("li", { class: "result", "data-id": result.id });
          var href = httpUrl(result.url, endpoint);
          item.appendChild(href ? el("a", { class: "title", href: href, target: "_top" }, result.title)
                                : el("span", { class: "title" }, result.title));
          if (result.date) item.append(" ", el("span", { class: "date" }, "· " + frenchDate(result.date)));
          var sources = (result.shares && result.shares.sources) || [];
          if (sources.length) item.appendChild(el("p", { class: "shares" }, "Cite aussi : " + sources.slice(0, 3).join(", ")));
          list.appendChild(item);
        });
        box.appendChild(list);
        root.appendChild(box);
      })
      .catch(function () { /* related articles are a nicety: the page works without them */ });
  }

  function mountAll() {
    var related = document.querySelectorAll("[data-archive-search-related]:not(script)");
    Array.prototype.forEach.call(related, mountRelated);
    var hosts = document.querySelectorAll("[data-archive-search]:not(script)");
    if (!hosts.length && !related.length && script && script.parentNode) {
      // No element named: the widget goes where the script tag is.
      var host = el("div", { "data-archive-search": "" });
      script.parentNode.insertBefore(host, script.nextSibling);
      hosts = [host];
    }
    Array.prototype.forEach.call(hosts, mount);
  }

  window.ArchiveSearch = { mount: mount, mountRelated: mountRelated };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", mountAll);
  else mountAll();
})();
