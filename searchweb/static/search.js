// Progressive enhancement of the search page; without it the page works as plain forms and links.
// Adds completions as you type (filling the search box's <datalist>) and applies a ticked
// facet or a new sort order at once.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  var form = document.getElementById("recherche");
  if (!form) return;
  var input = form.elements.q;
  var datalist = document.getElementById(input.getAttribute("list"));
  var timer = null;
  var asked = "";

  function complete() {
    var prefix = input.value.trim();
    if (prefix.length < 2 || prefix === asked) return;
    asked = prefix;
    fetch(form.dataset.suggest + "?q=" + encodeURIComponent(prefix), { headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data || input.value.trim() !== prefix) return;  // the reader has typed on
        datalist.replaceChildren.apply(datalist, data.suggestions.map(function (word) {
          var option = document.createElement("option");
          option.value = word;
          return option;
        }));
      })
      .catch(function () { /* completions are a nicety: the search works without them */ });
  }

  input.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(complete, 150);
  });

  document.addEventListener("change", function (event) {
    var field = event.target;
    if (field.form !== form || !(field.type === "checkbox" || field.name === "sort")) return;
    if (form.requestSubmit) form.requestSubmit(); else form.submit();
  });
})();
