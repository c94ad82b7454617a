// Behaviour shared by every page, kept out of the HTML so the Content-Security-Policy allows
// no inline script: a button with data-confirm asks before its form is submitted, and a select
// with data-autosubmit submits its form when it changes.
document.addEventListener("click", (event) => {
  const button = event.target instanceof Element ? event.target.closest("[data-confirm]") : null;
  if (button && !window.confirm(button.dataset.confirm)) {
    event.preventDefault();
  }
});
document.addEventListener("change", (event) => {
  const select = event.target instanceof Element ? event.target.closest("[data-autosubmit]") : null;
  if (select && select.form) {
    select.form.submit();
  }
});
