// The admin page's live progress: start a reindex without leaving the page, and follow it.
// Without JavaScript the form posts and the page shows the job's state on each reload.
(function () {
  "use strict";
  var form = document.getElementById("reindex");
  var box = document.getElementById("job");
  if (!form || !box) return;
  var statusUrl = form.dataset.status;
  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  var button = form.querySelector("button");
  var state = box.querySelector(".job__state");
  var bar = document.getElementById("job-progress");
  // With scheduled syncs a build may start while the page is open: look now and then.
  var watching = !!document.getElementById("sync");
  var following = button.disabled;  // a job seen running from this page
  var rendered = box.dataset.job;     // the job the page was rendered with
  var said = "";                      // the last progress put in words

  function show(job) {
    var ended = !job || job.state === "done" || job.state === "failed";
    // A quick sync may start and end between two looks: a newer job that ended also reloads.
    if (ended && (following || (job && job.id !== rendered))) {
      // The page renders the outcome and the new index's figures.
      window.location.reload();
      return;
    }
    if (ended) {
      if (watching) window.setTimeout(poll, 2000);
      return;
    }
    following = true;
    box.hidden = false;
    button.disabled = true;
    bar.max = job.total || 1;
    bar.value = job.processed || 0;
    // The bar moves at every look; the sentence (a live region) only at each tenth of the way, or a
    // screen reader would read a new count every 0.7 s.
    var tenth = job.total ? Math.floor(10 * (job.processed || 0) / job.total) : 0;
    var step = job.state + ":" + tenth;
    if (step !== said) {
      said = step;
      state.textContent = job.state === "queued"
        ? "En attente de démarrage…"
        : (job.trigger === "sync" ? "Synchronisation en cours" : "En cours") + " : " + (job.processed || 0) +
          " sur " + (job.total || "?") + " articles lus.";
    }
    window.setTimeout(poll, 700);
  }

  function poll() {
    fetch(statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (data) { show(data.job); })
      .catch(function () { window.setTimeout(poll, 3000); });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    button.disabled = true;
    fetch(statusUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf, Accept: "application/json" }
    })
      .then(function (r) { return r.json(); })  // 202 and 409 both carry the job to follow
      .then(function (data) {
        if (data.job) show(data.job);
        else form.submit();  // an expired login: let the server answer with its page
      })
      .catch(function () { form.submit(); });
  });

  if (button.disabled || watching) poll();  // the page was rendered while a job runs, or syncs are scheduled
})();

// The last writes of the document API, kept up to date while the page is open (read with the session).
// Without JavaScript the page shows them as they were when it was rendered.
(function () {
  "use strict";
  var section = document.getElementById("tasks");
  if (!section) return;
  var url = section.dataset.url;
  var labels = JSON.parse(section.dataset.labels);
  var body = section.querySelector("tbody");
  var table = section.querySelector(".table-scroll");
  var empty = section.querySelector(".tasks__empty");
  var spoken = document.getElementById("tasks-status");
  var IDS_SHOWN = 3;
  var EVERY = 2000, AFTER_ERROR = 5000;  // milliseconds
  var timer = null;

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  // As the page's `datetime_fr`: 28/03/2015 à 14:05 UTC.
  function when(iso) {
    if (!iso) return "—";
    var d = new Date(iso);
    if (isNaN(d.getTime())) return iso;
    return pad(d.getUTCDate()) + "/" + pad(d.getUTCMonth() + 1) + "/" + d.getUTCFullYear() +
      " à " + pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes()) + " UTC";
  }

  // As the page's `task_ids`: the first ids, and how many more.
  function ids(task) {
    var list = task.ids || [];
    var shown = list.slice(0, IDS_SHOWN).join(", ");
    var more = Math.max(task.articles || 0, list.length) - Math.min(list.length, IDS_SHOWN);
    if (more > 0) return shown + " et " + more + " autre" + (more > 1 ? "s" : "");
    return shown || "—";
  }

  function cell(row, text, className) {
    var td = document.createElement("td");
    td.textContent = text;  // data is text, never markup
    if (className) td.className = className;
    row.appendChild(td);
  }

  function row(task) {
    var tr = document.createElement("tr");
    tr.className = "task task--" + task.state;
    tr.dataset.id = task.id;
    cell(tr, String(task.id));
    cell(tr, labels.kinds[task.kind] || task.kind || "—");
    cell(tr, labels.states[task.state] || task.state, "task__state");
    cell(tr, task.articles === null || task.articles === undefined ? "—" : String(task.articles));
    cell(tr, ids(task), "task__ids");
    cell(tr, when(task.enqueued_at));
    cell(tr, when(task.finished_at));
    cell(tr, task.error || "", "task__error");
    return tr;
  }

  // The table is redrawn only when a task changed, and the change is said in a sentence: a live
  // table would have a screen reader read every row again at each look.
  function show(tasks) {
    var seen = {};
    Array.prototype.forEach.call(body.rows, function (tr) {
      seen[tr.dataset.id] = tr.querySelector(".task__state").textContent;
    });
    var changed = tasks.filter(function (task) {
      return seen[String(task.id)] !== (labels.states[task.state] || task.state);
    });
    if (!changed.length && tasks.length === body.rows.length) return;
    var rows = document.createDocumentFragment();
    tasks.forEach(function (task) { rows.appendChild(row(task)); });
    body.replaceChildren(rows);
    table.hidden = tasks.length === 0;
    empty.hidden = tasks.length > 0;
    spoken.textContent = changed.slice(0, 3).map(function (task) {
      return "Écriture n° " + task.id + " (" + (labels.kinds[task.kind] || task.kind) + ") : " +
        (labels.states[task.state] || task.state) + ".";
    }).join(" ");
  }

  function later(delay) {
    window.clearTimeout(timer);
    timer = window.setTimeout(poll, delay);
  }

  function poll() {
    if (document.hidden) return;  // resumed when the page is shown again
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) {
        if (r.status === 401 || r.status === 403) return null;  // logged out: the page will say so
        return r.ok ? r.json() : Promise.reject(r.status);
      })
      .then(function (data) {
        if (!data) return;
        show(data.tasks);
        later(EVERY);
      })
      .catch(function () { later(AFTER_ERROR); });
  }

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) later(0);
  });
  later(EVERY);
})();

// A synonym started from a search without results: the caret after its "=> ", for the words to add.
(function () {
  "use strict";
  var area = document.querySelector("#synonyms[data-adding]");
  if (!area) return;
  area.focus();
  area.setSelectionRange(area.value.length, area.value.length);
  area.scrollTop = area.scrollHeight;
})();
