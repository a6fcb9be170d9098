// The little the pages need beyond HTML: a language menu that applies itself, the print
// button of the check-in slip, and the question a destructive form asks (data-confirm). Every
// page works without it: a destructive form that arrives without confirm=yes is answered with
// a page asking the same question (ils/web/confirm.py).
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
document.addEventListener("submit", function (event) {
  var form = event.target;
  var question = form.getAttribute && form.getAttribute("data-confirm");
  if (!question) {
    return;
  }
  if (!window.confirm(question)) {
    event.preventDefault();
    return;
  }
  if (!form.querySelector("input[name=confirm]")) {
    var answer = document.createElement("input");
    answer.type = "hidden";
    answer.name = "confirm";
    answer.value = "yes";
    form.appendChild(answer);
  }
});
