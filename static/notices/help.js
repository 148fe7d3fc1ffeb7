/* "Can't sign in?" troubleshooter: runs the checks only a browser can run and opens the fix of
   each failing one. Plain ES5 on purpose: the old browsers this page diagnoses must run it too.
   Without JavaScript the page still shows the server's findings and every fix. */
(function () {
  "use strict";
  var root = document.getElementById("checks");
  var textsNode = document.getElementById("help-i18n");
  if (!root || !textsNode || !window.XMLHttpRequest || !window.JSON) { return; }
  document.documentElement.className += " js";
  var texts = JSON.parse(textsNode.textContent);
  var results = {};
  var pending = 0;
  var chinese = (document.documentElement.lang || "").toLowerCase().indexOf("zh") === 0;

  function fill(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (match, name) {
      return values.hasOwnProperty(name) ? String(values[name]) : match;
    });
  }

  function set(key, status, detail) {
    var item = document.getElementById("check-" + key);
    if (!item) { return; }
    item.className = item.className.replace(/\s*check-(ok|fail|unknown|running)\b/g, "") +
      " check-" + status;
    var badge = item.querySelector("[data-badge]");
    if (badge) { badge.textContent = texts[status] || texts.checking; }
    var detailNode = item.querySelector("[data-detail]");
    if (detailNode && detail) { detailNode.textContent = detail; }
    var fix = item.querySelector("[data-fix]");
    if (fix && status === "fail") { fix.setAttribute("open", ""); }
    if (status !== "running") { results[key] = status; }
  }

  function finish() {
    pending -= 1;
    if (pending > 0) { return; }
    var failed = 0;
    for (var key in results) {
      if (results.hasOwnProperty(key) && results[key] === "fail") { failed += 1; }
    }
    var summary = document.getElementById("check-summary");
    if (summary) { summary.textContent = failed ? texts.some_failed : texts.all_ok; }
  }

  function get(url, done) {
    var xhr = new XMLHttpRequest();
    var sep = url.indexOf("?") === -1 ? "?" : "&";
    xhr.open("GET", url + sep + "t=" + new Date().getTime());
    xhr.timeout = 8000;
    xhr.setRequestHeader("Accept", "application/json");
    xhr.onload = function () { done(xhr.status, xhr.responseText); };
    xhr.onerror = function () { done(0, ""); };
    xhr.ontimeout = function () { done(0, ""); };
    xhr.send();
  }

  function parse(body) {
    try { return JSON.parse(body); } catch (e) { return null; }
  }

  // 1. The portal answers (/healthz).
  pending += 1;
  set("network", "running", texts.checking);
  get(root.getAttribute("data-health-url"), function (status, body) {
    var data = parse(body);
    if (status === 200 && data && data.status === "ok") {
      set("network", "ok", texts.network_ok);
    } else if (status === 200 && data) {
      set("network", "ok", texts.network_degraded);
    } else {
      set("network", "fail", texts.network_fail);
    }
    finish();
  });

  // 2. Cookies: can this page set and read one?
  (function () {
    var name = "portal_js_cookie_test";
    var secure = window.location.protocol === "https:" ? "; Secure" : "";
    var works = false;
    if (navigator.cookieEnabled !== false) {
      document.cookie = name + "=1; path=/; SameSite=Lax" + secure;
      works = document.cookie.indexOf(name + "=1") !== -1;
      document.cookie = name + "=; path=/; expires=Thu, 01 Jan 1970 00:00:00 GMT" + secure;
    }
    set("cookies", works ? "ok" : "fail", works ? texts.cookies_ok : texts.cookies_fail);
  })();

  // 3 and 4. Device clock against the server's, and maintenance (/api/status).
  function clockVerdict(skewMs) {
    var tolerance = parseInt(root.getAttribute("data-clock-tolerance"), 10) * 1000;
    var minutes = Math.max(1, Math.round(Math.abs(skewMs) / 60000));
    var hours = Math.round(Math.abs(skewMs) / 3600000);
    var text;
    if (Math.abs(skewMs) <= tolerance) {
      set("clock", "ok", texts.clock_ok);
    } else if (Math.abs(skewMs) >= 90 * 60000) {
      text = fill(skewMs > 0 ? texts.clock_ahead_hours : texts.clock_behind_hours,
        { hours: hours });
      // Off by whole hours (within 5 minutes): a wrong time zone on a clock that looks right.
      if (Math.abs(Math.abs(skewMs) - hours * 3600000) <= 5 * 60000) {
        text += " " + texts.clock_zone;
      }
      set("clock", "fail", text);
    } else {
      set("clock", "fail", fill(skewMs > 0 ? texts.clock_ahead : texts.clock_behind,
        { minutes: minutes }));
    }
  }

  pending += 1;
  set("clock", "running", texts.checking);
  var sent = new Date().getTime();
  get(root.getAttribute("data-status-url"), function (status, body) {
    var received = new Date().getTime();
    var data = status === 200 ? parse(body) : null;
    if (data && typeof data.server_time_ms === "number") {
      clockVerdict((sent + received) / 2 - data.server_time_ms);
      var active = data.active || [];
      var titles = [];
      for (var i = 0; i < active.length; i += 1) {
        if (active[i].disruptive) {
          titles.push(chinese ? active[i].title["zh-hans"] : active[i].title.en);
        }
      }
      if (titles.length) {
        set("maintenance", "fail", fill(texts.maintenance_fail, { titles: titles.join("; ") }));
      } else {
        set("maintenance", "ok", texts.maintenance_ok);
      }
    } else {
      var served = parseInt(root.getAttribute("data-server-time"), 10);
      var timing = window.performance && window.performance.timing;
      if (served && timing && timing.responseStart) {
        clockVerdict(timing.responseStart - served);
      } else {
        set("clock", "unknown", texts.clock_unknown);
      }
    }
    finish();
  });
})();
