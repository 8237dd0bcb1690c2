// Progressive enhancement for the agent page: "Copy" puts a reply on the clipboard and
// logs the reuse. Without JavaScript the reply sits in a selectable text box.
document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  event.preventDefault();
  const box = document.getElementById(button.dataset.copy);
  try {
    await navigator.clipboard.writeText(box.value);
  } catch (err) {
    box.select();
    document.execCommand("copy");
  }
  const original = button.textContent;
  button.textContent = button.dataset.done || "Copied";
  setTimeout(() => { button.textContent = original; }, 1500);
  const form = button.closest("form");
  if (form) {
    const data = new FormData(form);
    data.set("format", button.dataset.format || "text");
    fetch(form.action, { method: "POST", body: data, headers: { "X-Requested-With": "fetch" } });
  }
});
