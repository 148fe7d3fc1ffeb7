/* Maintenance banner: hide an informational notice without leaving the page.
   Progressive enhancement: without this script the same form posts and redirects back. */
(function () {
  "use strict";
  if (!window.XMLHttpRequest || !window.FormData || !document.querySelectorAll) { return; }
  var forms = document.querySelectorAll("form[data-dismiss]");
  Array.prototype.forEach.call(forms, function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.onload = function () {
        if (xhr.status >= 200 && xhr.status < 300) {
          var notice = form.closest ? form.closest(".notice") : form.parentNode.parentNode;
          if (notice && notice.parentNode) { notice.parentNode.removeChild(notice); }
          var main = document.getElementById("main") || document.getElementById("content-start");
          if (main && main.focus) { main.focus(); }
        } else {
          form.submit();
        }
      };
      xhr.onerror = function () { form.submit(); };
      xhr.send(new FormData(form));
    });
  });
})();
