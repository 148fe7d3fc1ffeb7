"""Sent after commit, for higher apps (the tickets app notes and resolves its request).

``pass_used(sender, *, user, access_pass)``: someone signed in with the pass.
``pass_completed(sender, *, user, access_pass, how)``: after that sign-in the person set a new
password (``how="password"``) or registered a passkey (``how="passkey"``).
"""

from django.dispatch import Signal

pass_used = Signal()
pass_completed = Signal()
