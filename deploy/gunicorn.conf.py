"""gunicorn's configuration of a portal web node: `gunicorn portal.wsgi -c deploy/gunicorn.conf.py`.

Read by gunicorn only (the portal's own settings read the environment in portal/settings.py).
Behind a TLS proxy (deploy/nginx/portal.conf) that sets X-Forwarded-For and X-Forwarded-Proto;
set TRUSTED_PROXY_COUNT to the number of proxies in front (docs/production.md).

    GUNICORN_BIND     where to listen (default 127.0.0.1:8000; the proxy's upstream)
    GUNICORN_WORKERS  processes (default: two per core; a sign-in's Argon2id hash holds one for
                      ~20-30 ms, so sync workers and no threads)
    GUNICORN_TIMEOUT  seconds before a silent worker is killed and replaced (default 30)
"""

import multiprocessing
import os

wsgi_app = "portal.wsgi:application"
bind = [os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")]
workers = int(os.environ.get("GUNICORN_WORKERS", 2 * multiprocessing.cpu_count()))
worker_class = "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 2
# A worker is replaced after this many requests (a slow leak never grows without bound); the
# jitter keeps the workers of one node from restarting together.
max_requests = 5000
max_requests_jitter = 500
# Heartbeat files in memory, not on a disk that may stall (gunicorn's FAQ).
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# The proxy's address, from which gunicorn itself accepts X-Forwarded-* (the portal decides the
# client IP on its own, from TRUSTED_PROXY_COUNT).
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
# Request lines and headers within what the portal accepts anyway.
limit_request_line = 8190
limit_request_fields = 100
accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'
proc_name = "portal-web"
# No control socket: its default path is one per user, which two nodes on one host would share.
control_socket_disable = True
