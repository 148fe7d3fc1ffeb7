/* Small behaviours of the portal's pages, written here because the Content-Security-Policy
   allows no inline event handler: [data-print] prints the page; [data-select-on-focus] selects
   its text when it gets the focus (a link to copy). Plain ES5, like the troubleshooter. */
(function () {
  "use strict";
  if (!document.addEventListener) { return; }
  document.addEventListener("click", function (event) {
    var target = event.target;
    while (target && target.nodeType === 1) {
      if (target.hasAttribute("data-print")) { window.print(); return; }
      target = target.parentNode;
    }
  });
  document.addEventListener("focusin", function (event) {
    var target = event.target;
    if (target && target.hasAttribute && target.hasAttribute("data-select-on-focus")) {
      target.select();
    }
  });
})();
