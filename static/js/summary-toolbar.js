// The summary page's "Print this page" button (a static file: the CSP blocks inline scripts).
document.querySelectorAll("[data-print-page]").forEach((button) => {
  button.addEventListener("click", () => window.print());
});
