// Progressive enhancement of the search page; without it the page works as plain forms and links.
// Adds completions as you type (an ARIA combobox), says how many articles were found, finds a
// facet's values by typing, and applies a ticked facet or a new sort order at once.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  var form = document.getElementById("recherche");
  if (!form) return;
  var input = form.elements.q;
  completions(input, document.getElementById("completions"), form.dataset.suggest);
  announce(document.getElementById("results-status"));

  // A live region's text is read when it changes, not when the page loads with it: the sentence
  // (written by the server) goes in once the reader's screen reader has taken in the new page.
  function announce(region) {
    if (!region || !region.dataset.say) return;
    window.setTimeout(function () { region.textContent = region.dataset.say; }, 400);
  }

  // Completions as an ARIA combobox (the APG's "list autocomplete with manual selection"): the
  // focus stays in the box, arrows move through the words (aria-activedescendant), Enter searches
  // the chosen word, Escape closes the list and a second Escape empties the box. A live region
  // says how many words are offered, since a list appearing under the box is otherwise silent.
  function completions(input, listbox, url) {
    var spoken = document.getElementById("completions-status");
    var timer = null;
    var asked = "";     // the prefix last sent
    var shownFor = "";  // the prefix `words` answer
    var words = [];
    var active = -1;

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-controls", listbox.id);
    input.setAttribute("aria-expanded", "false");

    function option(word, index) {
      var li = document.createElement("li");
      li.id = listbox.id + "-" + index;
      li.className = "completions__option";
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", "false");
      li.textContent = word;  // a word of the archive: text, never markup
      return li;
    }

    function open(list) {
      words = list;
      active = -1;
      input.removeAttribute("aria-activedescendant");
      listbox.replaceChildren.apply(listbox, words.map(option));
      var shown = words.length > 0;
      listbox.hidden = !shown;
      input.setAttribute("aria-expanded", String(shown));
      if (spoken) {
        spoken.textContent = !shown ? "" : words.length + (words.length > 1 ? " suggestions" : " suggestion")
          + ", flèches haut et bas pour les parcourir.";
      }
    }

    function close() {
      listbox.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      var options = listbox.children;
      if (active >= 0 && options[active]) options[active].setAttribute("aria-selected", "false");
      active = index;
      if (active < 0) {
        input.removeAttribute("aria-activedescendant");
        return;
      }
      options[active].setAttribute("aria-selected", "true");
      input.setAttribute("aria-activedescendant", options[active].id);
      options[active].scrollIntoView({ block: "nearest" });
    }

    function choose(index) {
      input.value = words[index];
      close();
      if (form.requestSubmit) form.requestSubmit(); else form.submit();
    }

    function ask() {
      var prefix = input.value.trim();
      if (prefix.length < 2) { asked = shownFor = ""; open([]); return; }
      if (prefix === shownFor) { open(words); return; }  // typed back to the words already fetched
      if (prefix === asked) return;  // being fetched
      asked = prefix;
      fetch(url + "?q=" + encodeURIComponent(prefix), { headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (!data || input.value.trim() !== prefix || document.activeElement !== input) return;  // typed on, or left
          shownFor = prefix;
          open(data.suggestions.filter(function (word) { return word !== prefix; }));
        })
        .catch(function () { asked = ""; /* completions are a nicety: the search works without them */ });
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(ask, 150);
    });

    input.addEventListener("keydown", function (event) {
      var expanded = !listbox.hidden;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        if (!words.length) return;
        event.preventDefault();
        if (!expanded) { open(words); if (!event.altKey) highlight(event.key === "ArrowDown" ? 0 : words.length - 1); return; }
        if (event.altKey) return;
        var step = event.key === "ArrowDown" ? 1 : -1;
        highlight(active < 0 ? (step > 0 ? 0 : words.length - 1) : (active + step + words.length) % words.length);
      } else if (event.key === "Enter" && expanded && active >= 0) {
        event.preventDefault();
        choose(active);
      } else if (event.key === "Escape" && expanded) {
        event.preventDefault();  // the first Escape only closes the list; the box keeps its text
        close();
      } else if (event.key === "Tab") {
        close();
      }
    });

    // A word picked with the pointer: mousedown would move the focus out of the box first.
    listbox.addEventListener("mousedown", function (event) { event.preventDefault(); });
    listbox.addEventListener("click", function (event) {
      var li = event.target.closest("[role=option]");
      if (li) choose(Array.prototype.indexOf.call(listbox.children, li));
    });
    input.addEventListener("blur", close);
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
