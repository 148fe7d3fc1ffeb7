"""Messengers as outbox channels: WeCom (企业微信), DingTalk (钉钉) and Feishu (飞书).

Two kinds of channel per provider, each a module here:

- **one person** (``wecom``, ``dingtalk``, ``feishu`` rows): the WeCom application message, the
  DingTalk work notification (``asyncsend_v2``), the Feishu app message, each with the app's
  access token, cached in the shared cache (``tokens``);
- **a group robot** (``robot`` rows, ``messaging.models.Robot``): the WeCom group robot, the
  DingTalk custom robot (signed) and the Feishu custom bot (signed the other way round).

``delivery`` hands a row to its provider once; ``pacing`` keeps each provider's own limits
(``portal.limits``) and defers a row instead of sending past them; ``vault`` keeps a robot's
webhook and secret encrypted. docs/messengers.md is the manual.
"""

PERSON_CHANNELS = ("wecom", "dingtalk", "feishu")
ROBOT_CHANNEL = "robot"
MESSENGER_CHANNELS = (*PERSON_CHANNELS, ROBOT_CHANNEL)
