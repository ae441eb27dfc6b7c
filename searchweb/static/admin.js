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

  function show(job) {
    if (!job) return;
    box.hidden = false;
    if (job.state === "done" || job.state === "failed") {
      // The page renders the outcome and the new index's figures.
      window.location.reload();
      return;
    }
    button.disabled = true;
    bar.max = job.total || 1;
    bar.value = job.processed || 0;
    state.textContent = job.state === "queued"
      ? "En attente de démarrage…"
      : "En cours : " + (job.processed || 0) + " sur " + (job.total || "?") + " articles lus.";
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

  if (button.disabled) poll();  // the page was rendered while a job runs
})();
