"""One phase of the load bench, driven by locust as a library (headless, bounded in time).

    python bench/load/drive.py SEED.json URL SECONDS USERS {mix,wave} > result.json

``mix``: the Monday-morning mix only (80 % sign-ins, 10 % wrong passwords, 5 % resets started,
3 % unlock requests, 2 % OIDC authorize + token), each simulated employee in a browser of its own
(known to its account after a first sign-in) from an address of its own. ``wave``: the same mix
while a credential-stuffing wave runs (one address trying many names, then many addresses trying
one name), and the victim's owner signing in from the browser the account knows.

Through the stack's TLS proxy (an https URL) each simulated client connects from an address of
its own on 127/8, so nginx sets ``X-Forwarded-For`` from a real peer address; straight to a web node
(an http URL) the driver sets ``X-Forwarded-For`` and ``X-Forwarded-Proto`` as that proxy would.
Prints every request's kind, status and
time (ms) and what the wave's checks saw, as JSON.
"""

from __future__ import annotations

from gevent import monkey

monkey.patch_all()  # before ssl is imported anywhere (locust would do it on import, too late)

import base64  # noqa: E402
import hashlib  # noqa: E402
import http.cookiejar  # noqa: E402
import itertools  # noqa: E402
import json  # noqa: E402
import secrets  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from html.parser import HTMLParser  # noqa: E402
from urllib.parse import parse_qs, urlencode, urlsplit  # noqa: E402

import gevent  # noqa: E402
import urllib3  # noqa: E402
from locust import HttpUser, between, constant_throughput, events, task  # noqa: E402
from locust.env import Environment  # noqa: E402
from requests.adapters import HTTPAdapter  # noqa: E402

urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
with open(sys.argv[1]) as _seed:
    SEED = json.load(_seed)
URL, SECONDS, USERS, PHASE = sys.argv[2], float(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
HOST = urlsplit(URL).netloc
LOGIN, LOGOUT = "/accounts/login/", "/accounts/logout/"
MIX = "mix"
WAVE_RATE = float(sys.argv[6]) if len(sys.argv) > 6 else 10.0  # requests a second per attacker
IP_LIMIT = int(sys.argv[7]) if len(sys.argv) > 7 else 30  # LOCKOUT_IP_FAILURE_LIMIT
NAME_LIMIT = int(sys.argv[8]) if len(sys.argv) > 8 else 5  # LOCKOUT_FAILURE_LIMIT

samples: list[tuple[str, str, int, float]] = []  # (group, kind, status, ms)
checks: dict[str, list] = {"one_ip": [], "one_name": [], "owner": []}
_employees = itertools.cycle(SEED["employees"])
PROXIED = URL.startswith("https:")
_addresses = (f"127.1.{(n >> 8) & 255}.{n & 255}" for n in itertools.count(1))
_botnet = (f"127.200.{(n >> 8) & 255}.{n & 255}" for n in itertools.count(1))


class _FromAddress(HTTPAdapter):
    """Connections from one loopback source address: what the proxy sees as the client."""

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


class _AnyScheme(http.cookiejar.DefaultCookiePolicy):
    """The portal's cookies are Secure; the client speaks to the web node on loopback behind the
    (simulated) TLS proxy, so it must send them back over http as the proxy would."""

    def return_ok_secure(self, cookie, request):
        return True

    def set_ok(self, cookie, request):
        return True


class _Form(HTMLParser):
    """The named fields of a page's forms: hidden inputs keep their value, the first radio of
    a group its value."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind in ("hidden", "radio") and a["name"] not in self.fields:
                self.fields[a["name"]] = a.get("value", "")


def _record(group: str, kind: str, response, started: float) -> None:
    samples.append((group, kind, response.status_code, (time.perf_counter() - started) * 1000))


class Browser(HttpUser):
    """A browser behind the proxy: its own cookie jar and client address."""

    abstract = True
    host = URL
    group = MIX

    def on_start(self) -> None:
        self.client.cookies.set_policy(_AnyScheme())
        self.client.verify = False  # the stack's self-signed certificate, on loopback
        self.address_set(next(_addresses))

    def address_set(self, address: str) -> None:
        self.address = address
        if PROXIED:
            self.client.mount("https://", _FromAddress(address))

    def send(self, kind: str, method: str, path: str, *, expect: tuple[int, ...], **kwargs):
        extra = dict(kwargs.pop("headers", {}))
        proxy = {}
        if not PROXIED:  # as the proxy does: the client's address appended to what it sent
            sent = extra.pop("X-Forwarded-For", "")
            forwarded = f"{sent}, {self.address}" if sent else self.address
            proxy = {"X-Forwarded-For": forwarded, "X-Forwarded-Proto": "https"}
        headers = {
            **proxy,
            "Origin": f"https://{HOST}",
            "Referer": f"https://{HOST}{path}",
            **extra,
        }
        started = time.perf_counter()
        with self.client.request(
            method,
            path,
            headers=headers,
            allow_redirects=False,
            catch_response=True,
            name=kind,
            **kwargs,
        ) as response:
            _record(self.group, kind, response, started)
            if response.status_code in expect:
                response.success()
            else:
                response.failure(f"{kind}: {response.status_code}")
        return response

    def form(self, kind: str, path: str) -> dict[str, str]:
        page = self.send(kind, "GET", path, expect=(200,))
        return _Form(page.text).fields

    def sign_in(self, username: str, password: str, kind: str, expect=(302,)):
        fields = self.form(f"{kind}: page", LOGIN)
        data = {"csrfmiddlewaretoken": fields.get("csrfmiddlewaretoken", "")}
        data |= {"username": username, "password": password}
        return self.send(kind, "POST", LOGIN, data=data, expect=expect)

    def sign_out(self) -> None:
        token = self.client.cookies.get("csrftoken", "")
        self.send("sign-out", "POST", LOGOUT, data={"csrfmiddlewaretoken": token}, expect=(302,))


class Employee(Browser):
    """A Monday morning's employee: signs in from the browser its account knows (signed in once
    at the start, so the browser is known)."""

    wait_time = between(0.5, 2.0)

    def on_start(self) -> None:
        super().on_start()
        self.username = next(_employees)
        self.sign_in(self.username, SEED["password"], "warm-up sign-in")
        self.sign_out()

    @task(80)
    def sign_in_right(self) -> None:
        self.sign_in(self.username, SEED["password"], "sign-in")
        self.sign_out()

    @task(10)
    def wrong_password(self) -> None:
        self.sign_in(self.username, "not my password", "wrong password", expect=(200,))

    @task(5)
    def reset_start(self) -> None:
        fields = self.form("reset start: page", "/accounts/password/reset/")
        data = {k: v for k, v in fields.items() if k in ("csrfmiddlewaretoken", "next")}
        data |= {"identifier": self.username, "channel": "email"}
        self.send("reset start", "POST", "/accounts/password/reset/", data=data, expect=(302,))

    @task(3)
    def unlock_request(self) -> None:
        fields = self.form("unlock request: page", "/tickets/unlock/")
        data = {
            "csrfmiddlewaretoken": fields.get("csrfmiddlewaretoken", ""),
            "nonce": fields.get("nonce", ""),
            "username": self.username,
            "receipt": "email",
            "problem_since": "now",
            "description": "Locked out on Monday morning.",
        }
        self.send("unlock request", "POST", "/tickets/unlock/", data=data, expect=(302,))

    @task(2)
    def oidc(self) -> None:
        self.sign_in(self.username, SEED["password"], "sign-in (before OIDC)")
        verifier = secrets.token_urlsafe(48)
        challenge = (
            base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
            .rstrip(b"=")
            .decode()
        )
        query = {
            "response_type": "code",
            "client_id": SEED["client_id"],
            "redirect_uri": SEED["redirect_uri"],
            "scope": "openid profile email phone",
            "state": secrets.token_urlsafe(8),
            "nonce": secrets.token_urlsafe(8),
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        answer = self.send(
            "OIDC authorize", "GET", "/o/authorize/?" + urlencode(query), expect=(302,)
        )
        code = parse_qs(urlsplit(answer.headers.get("Location", "")).query).get("code", [""])[0]
        pair = f"{SEED['client_id']}:{SEED['client_secret']}".encode()
        data = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": SEED["redirect_uri"],
            "code_verifier": verifier,
        }
        self.send(
            "OIDC token",
            "POST",
            "/o/token/",
            data=data,
            headers={
                "Authorization": "Basic " + base64.b64encode(pair).decode(),
                "Origin": None,
                "Referer": None,
            },
            expect=(200,),
        )
        self.sign_out()


class Attacker(Browser):
    abstract = True
    group = "wave"
    wait_time = constant_throughput(WAVE_RATE)

    def attempt(self, username: str, kind: str, headers: dict | None = None):
        data = {"username": username, "password": secrets.token_urlsafe(9)}
        # A stuffing tool posts straight at the form: a fresh page each time for the CSRF token.
        self.client.cookies.clear()
        fields = self.form(f"{kind}: page", LOGIN)
        data["csrfmiddlewaretoken"] = fields.get("csrfmiddlewaretoken", "")
        return self.send(kind, "POST", LOGIN, data=data, expect=(200, 429), headers=headers or {})


class OneAddressManyNames(Attacker):
    """One address, many names (real employees' and unknown ones), a new browser each time."""

    fixed_count = 1

    def on_start(self) -> None:
        super().on_start()
        self.address_set("127.66.0.1")
        self.names = itertools.cycle(
            n
            for pair in zip(
                SEED["employees"][::7], (f"ghost{n}" for n in itertools.count()), strict=False
            )
            for n in pair
        )

    @task
    def stuff(self) -> None:
        # Each attempt also forges X-Forwarded-For, as a tool evading a per-IP block would.
        forged = {"X-Forwarded-For": f"198.51.100.{secrets.randbelow(254) + 1}"}
        response = self.attempt(
            next(self.names), "stuffing: one address, many names", headers=forged
        )
        checks["one_ip"].append(response.status_code)


class ManyAddressesOneName(Attacker):
    """Many addresses (as a botnet, each new to the proxy), one name: the victim's."""

    fixed_count = 1

    def on_start(self) -> None:
        super().on_start()
        gevent.sleep(3)  # the owner's browser is known to the account before the wave

    @task
    def stuff(self) -> None:
        self.address_set(next(_botnet))
        response = self.attempt(SEED["victim"], "stuffing: many addresses, one name")
        checks["one_name"].append(response.status_code)


class Owner(Browser):
    """The victim's owner, from the browser the account knows, signing in now and then during
    the wave."""

    fixed_count = 1
    group = "owner"
    wait_time = between(1.0, 2.0)

    def on_start(self) -> None:
        super().on_start()
        self.sign_in(SEED["victim"], SEED["password"], "owner: first sign-in")
        self.sign_out()

    @task
    def sign_in_known(self) -> None:
        response = self.sign_in(SEED["victim"], SEED["password"], "owner: known browser")
        checks["owner"].append(response.status_code)
        if response.status_code == 302:
            self.sign_out()


def main() -> int:
    classes = [Employee]
    if PHASE == "wave":
        classes += [OneAddressManyNames, ManyAddressesOneName, Owner]
    env = Environment(user_classes=classes, events=events)
    runner = env.create_local_runner()
    runner.start(USERS + (3 if PHASE == "wave" else 0), spawn_rate=USERS)
    started = time.perf_counter()
    gevent.sleep(SECONDS)
    # The wave goes on (up to 4x as long) until each attacker went past its limit by a few
    # attempts, so the checks see the block and the lock hold on a slow machine too.
    while PHASE == "wave" and time.perf_counter() - started < 4 * SECONDS:
        if len(checks["one_ip"]) > IP_LIMIT + 5 and len(checks["one_name"]) > NAME_LIMIT + 5:
            break
        gevent.sleep(1)
    runner.quit()
    elapsed = time.perf_counter() - started
    json.dump({"seconds": elapsed, "samples": samples, "checks": checks}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
