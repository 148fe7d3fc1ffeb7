"""A lock storm: many accounts locked from one network within minutes (a password-spraying run,
or a broken script with an old password). The security group's robot hears of it
(``messaging.services.robots_notify``; docs/messengers.md) at the lock that reaches
``SIGNIN_LOCK_STORM_ACCOUNTS`` within ``SIGNIN_LOCK_STORM_MINUTES``, once per window and network.

A network is the lock's client address's /24 (IPv6: /64): a sprayer moves within a subnet. The
locks are counted in ``portal.limits`` (a rolling window in the shared store); the message names
the network and the count, never an account. The lock that makes the storm also writes a
``signin.lock_storm`` audit row (network, count, window): the agents' desk counts them and links to
them in the audit trail.
"""

from __future__ import annotations

import ipaddress
import logging

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import audit_record
from messaging.services import robots_notify
from portal import limits
from signin import conf

logger = logging.getLogger(__name__)


def network_of(ip: str) -> str:
    address = ipaddress.ip_address(ip)
    prefix = 24 if address.version == 4 else 64
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


def lock_storm_count(*, reference: str) -> int:
    """Count the lock ``reference`` against its network; tell the robots when it makes a storm.
    Returns the locks from that network in the window (0: no address, or the store is down)."""
    # An account's lock keeps no address; its audit row has the client's (the trusted chain's).
    ip = (
        AuditEvent.objects.filter(event="signin.locked", data__reference=reference)
        .order_by("-id")
        .values_list("ip", flat=True)
        .first()
    )
    if not ip:
        return 0
    network = network_of(ip)
    minutes = int(conf.get("SIGNIN_LOCK_STORM_MINUTES"))
    threshold = int(conf.get("SIGNIN_LOCK_STORM_ACCOUNTS"))
    try:
        count = limits.Rolling("signin:lock-storm", seconds=minutes * 60).hit(network)
    except limits.LimitStoreDown as exc:
        limits.store_down_logged(exc, outcome="the lock is not counted toward a storm")
        return 0
    if count == threshold:
        audit_record(
            event="signin.lock_storm",
            subject=network,
            ip=ip,
            data={"network": network, "accounts": count, "minutes": minutes},
        )
    if count >= threshold:
        window = int(timezone.now().timestamp()) // (minutes * 60)
        url = settings.PORTAL_BASE_URL.rstrip("/") + reverse("admin:audit_auditevent_changelist")
        robots_notify(
            kind="robot_lock_storm",
            context={"network": network, "accounts": count, "minutes": minutes, "url": url},
            key=f"lockstorm:{network}:{window}",
        )
    return count
