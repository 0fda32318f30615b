"""Posting to WeCom (企业微信) and DingTalk (钉钉) group robots: each platform's message, DingTalk's
signature (加签), what an answer means, and the delivery loop the task runs.

Both platforms take a JSON POST to the robot's webhook and answer `{"errcode": 0, ...}` when the
message is posted. WeCom carries the robot's key in the webhook and signs nothing; DingTalk may
add a signature: HMAC-SHA256 of "<timestamp in ms>\\n<secret>" keyed by the secret, base64,
URL-encoded, appended as `&timestamp=…&sign=…`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote_plus

from django.conf import settings
from django.utils import timezone

from .choices import DeliveryStatus, RobotPlatform
from .models import GroupRobot, RobotDelivery

logger = logging.getLogger(__name__)

# Answers that mean "try again later": system busy (-1) on both; WeCom's and DingTalk's
# "too many messages this minute" (each takes 20 a minute per robot).
RETRY_LATER_CODES = frozenset({-1, 45009, 130101})
# WeCom refuses markdown content over 4096 bytes; DingTalk's limit is larger. Cut well before.
MAX_TEXT_BYTES = 3800


@dataclass(frozen=True)
class PostResult:
    """How one POST to a robot ended: posted, worth another try later, or refused for good."""

    ok: bool
    retry: bool = False
    error: str = ""


def _cut(text: str, limit: int = MAX_TEXT_BYTES) -> str:
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[:limit].decode("utf-8", errors="ignore") + "…"


def message_markdown(title: str, text: str, link: str) -> str:
    """The message body in the markdown both platforms read (a bold title, the text, the link)."""
    lines = [f"**{title}**", "", _cut(text)]
    if link:
        lines += ["", f"[{link}]({link})"]
    return "\n".join(lines)


def robot_payload(platform: str, *, title: str, text: str, link: str) -> dict[str, object]:
    """The JSON each platform takes for a markdown message."""
    body = message_markdown(title, text, link)
    if platform == RobotPlatform.DINGTALK:
        return {"msgtype": "markdown", "markdown": {"title": title, "text": body}}
    return {"msgtype": "markdown", "markdown": {"content": body}}


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's 加签: base64 of HMAC-SHA256("<timestamp>\\n<secret>", key=secret), URL-encoded."""
    string_to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode("utf-8"), string_to_sign, hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest))


def signed_url(robot: GroupRobot, timestamp_ms: int | None = None) -> str:
    """The address to post to: the webhook, with timestamp and signature for a signing DingTalk robot."""
    if robot.platform != RobotPlatform.DINGTALK or not robot.secret:
        return robot.webhook_url
    timestamp_ms = timestamp_ms if timestamp_ms is not None else int(time.time() * 1000)
    joiner = "&" if "?" in robot.webhook_url else "?"
    return f"{robot.webhook_url}{joiner}timestamp={timestamp_ms}&sign={dingtalk_sign(robot.secret, timestamp_ms)}"


def read_answer(status: int, body: bytes) -> PostResult:
    """What an HTTP answer of a robot webhook means."""
    if status >= 500 or status == 429:
        return PostResult(ok=False, retry=True, error=f"HTTP {status}")
    if status >= 400:
        return PostResult(ok=False, error=f"HTTP {status}")
    try:
        answer = json.loads(body.decode("utf-8"))
        code = int(answer.get("errcode", -1))
    except (ValueError, AttributeError, TypeError):
        return PostResult(ok=False, error="not a robot's answer")
    if code == 0:
        return PostResult(ok=True)
    message = f"errcode {code}: {answer.get('errmsg', '')}"[:300]
    return PostResult(ok=False, retry=code in RETRY_LATER_CODES, error=message)


def robot_post(robot: GroupRobot, payload: dict[str, object]) -> PostResult:
    """POST one message to a robot. Never raises: network trouble is a result worth retrying."""
    request = urllib.request.Request(
        signed_url(robot),
        data=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
        headers={"Content-Type": "application/json; charset=utf-8"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=settings.ROBOT_TIMEOUT_SECONDS) as response:  # noqa: S310
            return read_answer(response.status, response.read())
    except urllib.error.HTTPError as exc:
        return read_answer(exc.code, exc.read() or b"")
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return PostResult(ok=False, retry=True, error=f"network: {reason}"[:300])


def robot_deliveries_send(delivery_ids: Sequence[int], *, last_try: bool) -> int:
    """Post each waiting delivery once; returns how many still wait for another try.

    Idempotent: a delivery already sent or failed is left alone, so a task run twice posts
    nothing twice. On the last try a delivery that could not be posted is marked failed."""
    waiting = 0
    deliveries = RobotDelivery.objects.filter(
        pk__in=delivery_ids, status=DeliveryStatus.PENDING
    ).select_related("robot")
    for delivery in deliveries:
        robot = delivery.robot
        payload = robot_payload(robot.platform, title=delivery.title, text=delivery.text, link=delivery.url)
        result = robot_post(robot, payload)
        delivery.attempts += 1
        if result.ok:
            delivery.status = DeliveryStatus.SENT
            delivery.sent_at = timezone.now()
            delivery.last_error = ""
        else:
            delivery.last_error = result.error
            if result.retry and not last_try:
                waiting += 1
            else:
                delivery.status = DeliveryStatus.FAILED
                logger.warning("robot %s: message %s failed: %s", robot.pk, delivery.pk, result.error)
        delivery.save(update_fields=["attempts", "status", "sent_at", "last_error"])
    return waiting
