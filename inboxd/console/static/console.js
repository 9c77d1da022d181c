// The console's only script (the Content-Security-Policy allows no inline one).
// Filters apply on change; dangerous buttons ask first; the candidate's progress bar polls.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  for (const input of document.querySelectorAll(".autosubmit")) {
    input.addEventListener("change", () => input.form.submit());
  }
  for (const button of document.querySelectorAll("button.confirm")) {
    button.addEventListener("click", (event) => {
      if (!window.confirm(button.dataset.confirm || "Sure?")) {
        event.preventDefault();
      }
    });
  }
  const job = document.getElementById("job");
  if (job && job.dataset.state === "running") {
    const progress = document.getElementById("progress");
    const stage = document.getElementById("stage");
    const poll = async () => {
      const response = await fetch("/model/progress", { credentials: "same-origin" });
      if (!response.ok) {
        return;
      }
      const state = await response.json();
      progress.value = state.progress;
      // textContent, never innerHTML: nothing from the server is read as markup.
      stage.textContent = `${state.state}: ${state.stage} (${state.seconds} s)`;
      if (state.state === "running") {
        window.setTimeout(poll, 500);
      } else {
        window.location.reload();
      }
    };
    window.setTimeout(poll, 500);
  }
});
