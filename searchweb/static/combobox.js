// Completions for a search box, as an ARIA combobox: used by the search page (search.js) and by the
// widget (the /embed.js route serves this file and embed.js as one script, inside one function, so
// nothing of it reaches the host page's globals).
//
//   ArchiveSearchCompletions(input, listbox, spoken, url, search)
//     input    the search box (its role and ARIA states are set here)
//     listbox  an empty, hidden <ul> beside it, with an id (its options' ids derive from it)
//     spoken   a live region saying how many words are offered (or null)
//     url      GET url?q=PREFIX answers {"suggestions": [...]} (/api/v1/suggest)
//     search   called with the chosen word, which is already in the box
var ArchiveSearchCompletions = (function () {
  "use strict";

  // Completions as an ARIA combobox (the APG's "list autocomplete with manual selection"): the
  // focus stays in the box, arrows move through the words (aria-activedescendant), Enter searches
  // the chosen word, Escape closes the list and a second Escape empties the box. A live region
  // says how many words are offered, since a list appearing under the box is otherwise silent.
  return function completions(input, listbox, spoken, url, search) {
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
      search(input.value);
    }

    function ask() {
      var prefix = input.value.trim();
      if (prefix.length < 2) { asked = shownFor = ""; open([]); return; }
      if (prefix === shownFor) { open(words); return; }  // typed back to the words already fetched
      if (prefix === asked) return;  // being fetched
      asked = prefix;
      fetch(url + "?q=" + encodeURIComponent(prefix), { headers: { Accept: "application/json" }, credentials: "omit" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (!data || input.value.trim() !== prefix || input.getRootNode().activeElement !== input) return;  // typed on, or left
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
  };
})();
