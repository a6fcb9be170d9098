// The little the pages need beyond HTML: a language menu that applies itself and the print
// button of the check-in slip. Every page works without it.
document.addEventListener("change", function (event) {
  var target = event.target;
  if (target.matches && target.matches("select[data-autosubmit]")) {
    target.form.submit();
  }
});
document.addEventListener("click", function (event) {
  var target = event.target;
  if (target.matches && target.matches("[data-print]")) {
    window.print();
  }
});
