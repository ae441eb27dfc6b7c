// Progressive enhancement of the search page; without it the page works as plain forms and links.
// Adds completions as you type (an ARIA combobox), says how many articles were found, finds a
// facet's values by typing, and applies a ticked facet or a new sort order at once.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  var form = document.getElementById("recherche");
  if (!form) return;
  var input = form.elements.q;
  ArchiveSearchCompletions(input, document.getElementById("completions"), document.getElementById("completions-status"),
                           form.dataset.suggest, function () { if (form.requestSubmit) form.requestSubmit(); else form.submit(); });
  announce(document.getElementById("results-status"));

  // A live region's text is read when it changes, not when the page loads with it: the sentence
  // (written by the server) goes in once the reader's screen reader has taken in the new page.
  function announce(region) {
    if (!region || !region.dataset.say) return;
    window.setTimeout(function () { region.textContent = region.dataset.say; }, 400);
  }

  // Finding a facet's value by typing (facets with more values than the page lists): the values
  // whose words start as typed, counted for this same search (GET /api/v1/facets/{facet}), shown
  // as ticking boxes like the others. Values are put in as text, never as markup.
  function findValues(box) {
    var input = box.querySelector("input");
    var status = box.querySelector("[role=status]");
    var list = box.querySelector("ul");
    var facet = box.dataset.facet;
    var wait = null;
    var seq = 0;

    function toggled(value) {
      var params = new URLSearchParams(window.location.search);
      params.delete("page");
      var values = params.getAll(facet);
      params.delete(facet);
      (values.indexOf(value) >= 0 ? values.filter(function (v) { return v !== value; }) : values.concat([value]))
        .forEach(function (v) { params.append(facet, v); });
      var query = params.toString();
      return window.location.pathname + (query ? "?" + query : "");
    }

    function item(value, index) {
      var id = "found-" + facet + "-" + index;
      var li = document.createElement("li");
      li.className = "facet__value" + (value.selected ? " facet__value--on" : "");
      var box_ = document.createElement("input");
      box_.type = "checkbox";
      box_.id = id;
      box_.name = facet;
      box_.value = value.value;
      box_.checked = value.selected;
      box_.setAttribute("form", "recherche");
      box_.setAttribute("aria-labelledby", id + "-name");
      var link = document.createElement("a");
      link.id = id + "-name";
      link.href = toggled(value.value);
      link.tabIndex = -1;
      link.textContent = value.value;
      var count = document.createElement("span");
      count.className = "facet__count";
      count.textContent = String(value.count);
      li.append(box_, link, count);
      return li;
    }

    function show(prefix) {
      var mine = ++seq;
      if (!prefix) {
        list.replaceChildren();
        status.textContent = "";
        box.classList.remove("facet__find--active");
        return;
      }
      var params = new URLSearchParams(window.location.search);
      ["page", "per_page", "sort"].forEach(function (name) { params.delete(name); });
      params.set("prefix", prefix);
      params.set("limit", "20");
      fetch(box.dataset.values + "?" + params.toString(), { headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
        .then(function (data) {
          if (mine !== seq) return;  // the reader has typed on
          list.replaceChildren.apply(list, data.values.map(item));
          box.classList.add("facet__find--active");
          var n = data.total;
          status.textContent = n === 0 ? "Aucune valeur ne commence ainsi."
            : n + (n > 1 ? " valeurs" : " valeur") + (n > data.values.length ? ", les " + data.values.length + " plus fréquentes :" : "");
        })
        .catch(function () {
          if (mine === seq) status.textContent = "La recherche de valeurs a échoué ; réessayez.";
        });
    }

    input.addEventListener("input", function () {
      window.clearTimeout(wait);
      wait = window.setTimeout(function () { show(input.value.trim()); }, 200);
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter") event.preventDefault();  // typing here never submits the search
    });
  }
  Array.prototype.forEach.call(document.querySelectorAll(".facet__find"), findValues);

  document.addEventListener("change", function (event) {
    var field = event.target;
    if (field.form !== form || !(field.type === "checkbox" || field.name === "sort")) return;
    if (form.requestSubmit) form.requestSubmit(); else form.submit();
  });
})();
