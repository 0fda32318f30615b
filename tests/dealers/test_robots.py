"""Notices to WeCom (企业微信) and DingTalk (钉钉) group robots, each user's channel choices, and
the notification channels page.

A stub of both platforms runs on 127.0.0.1 in a thread: it checks each message the way the
platform would (WeCom: markdown `content`, the key in the address; DingTalk: markdown `title`
and `text`, and the 加签 signature of a signing robot) and can be told to answer 500 or a
"too many messages" error code first, to see the retries.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from dealers.choices import DeliveryStatus, NoticeTopic, RobotPlatform, Role
from dealers.models import AuditEvent, GroupRobot, Notice, RobotDelivery, mask_webhook_url
from dealers.robots import dingtalk_sign, read_answer, robot_payload
from dealers.services import notice_preference_save, notice_send
from dealers.tasks import ROBOT_MAX_RETRIES
from surveys.tasks import send_daily_clearing_reminders
from tests.conftest import client_for
from tests.factories import ComplaintFactory, UserFactory

pytestmark = pytest.mark.django_db

SECRET = "SEC0123456789abcdef"
OK = (200, {"errcode": 0, "errmsg": "ok"})


class PlatformStub:
    """Both platforms' robot webhooks: /wecom/send?key=… and /dingtalk/send?access_token=…"""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.problems: list[str] = []
        self.answers: list[tuple[int, dict[str, Any]]] = []  # answered first, in order; then OK
        self.secrets: dict[str, str] = {}  # DingTalk access token → its signing secret
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, platform: str, key: str = "k-0001-abcdef") -> str:
        host, port = self.server.server_address[:2]
        if platform == RobotPlatform.WECOM:
            return f"http://{host}:{port}/wecom/send?key={key}"
        return f"http://{host}:{port}/dingtalk/send?access_token={key}"

    def check(self, path: str, query: dict[str, list[str]], body: dict[str, Any]) -> str:
        """What the platform would refuse in this request ("" if nothing)."""
        markdown = body.get("markdown") or {}
        if path == "/wecom/send":
            if not query.get("key"):
                return "wecom: no key"
            content = markdown.get("content")
            if body.get("msgtype") != "markdown" or not isinstance(content, str) or not content:
                return "wecom: not a markdown message"
            if len(content.encode()) > 4096:
                return "wecom: content over 4096 bytes"
            return ""
        if path == "/dingtalk/send":
            token = (query.get("access_token") or [""])[0]
            if body.get("msgtype") != "markdown" or not markdown.get("title") or not markdown.get("text"):
                return "dingtalk: not a markdown message"
            secret = self.secrets.get(token)
            if secret:
                timestamp = (query.get("timestamp") or [""])[0]
                sign = (query.get("sign") or [""])[0]  # parse_qs has URL-decoded it once
                if not timestamp.isdigit() or abs(int(timestamp) - time.time() * 1000) > 3600 * 1000:
                    return "dingtalk: timestamp missing or over an hour off"
                expected = base64.b64encode(
                    hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
                ).decode()
                if sign != expected:
                    return "dingtalk: bad signature"
            return ""
        return f"unknown path {path}"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server API
                parts = urlsplit(self.path)
                query = parse_qs(parts.query)
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                body = json.loads(raw.decode("utf-8"))
                if stub.answers:
                    status, answer = stub.answers.pop(0)
                else:
                    problem = stub.check(parts.path, query, body)
                    if problem:
                        stub.problems.append(problem)
                        status, answer = 200, {"errcode": 310000, "errmsg": problem}
                    else:
                        stub.received.append({"path": parts.path, "query": query, "body": body})
                        status, answer = OK
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        return Handler


@pytest.fixture
def stub() -> Iterator[PlatformStub]:
    platform = PlatformStub()
    platform.thread.start()
    yield platform
    platform.server.shutdown()
    platform.server.server_close()


def wecom_robot(stub: PlatformStub, **fields: Any) -> GroupRobot:
    values: dict[str, Any] = {
        "platform": RobotPlatform.WECOM,
        "name": "南京01店售后群",
        "webhook_url": stub.url(RobotPlatform.WECOM),
        "topics": list(NoticeTopic.values),
        **fields,
    }
    return GroupRobot.objects.create(**values)


def dingtalk_robot(stub: PlatformStub, **fields: Any) -> GroupRobot:
    stub.secrets["dt-token-1"] = SECRET
    values: dict[str, Any] = {
        "platform": RobotPlatform.DINGTALK,
        "name": "华东区域服务群",
        "webhook_url": stub.url(RobotPlatform.DINGTALK, "dt-token-1"),
        "secret": SECRET,
        "topics": list(NoticeTopic.values),
        **fields,
    }
    return GroupRobot.objects.create(**values)


def text_of(message: dict[str, Any]) -> str:
    markdown = message["body"]["markdown"]
    return markdown.get("content") or markdown["text"]


# --- the platforms' messages ------------------------------------------------------------


def test_a_wecom_message_is_markdown_content_and_a_dingtalk_message_has_a_title_and_text():
    wecom = robot_payload(RobotPlatform.WECOM, title="日清提醒", text="3 项超 24 小时", link="https://p.cn/x")
    dingtalk = robot_payload(
        RobotPlatform.DINGTALK, title="日清提醒", text="3 项超 24 小时", link="https://p.cn/x"
    )

    assert wecom["msgtype"] == "markdown" and set(wecom["markdown"]) == {"content"}  # type: ignore[arg-type]
    assert dingtalk["msgtype"] == "markdown" and set(dingtalk["markdown"]) == {"title", "text"}  # type: ignore[arg-type]
    assert "[https://p.cn/x](https://p.cn/x)" in wecom["markdown"]["content"]  # type: ignore[index]


def test_the_dingtalk_signature_is_the_documented_hmac_of_timestamp_and_secret():
    # timestamp + "\n" + secret, HmacSHA256 keyed by the secret, base64, then URL-encoded.
    digest = hmac.new(b"this is secret", b"1577262236757\nthis is secret", hashlib.sha256).digest()

    assert dingtalk_sign("this is secret", 1577262236757) == (
        base64.b64encode(digest).decode().replace("+", "%2B").replace("/", "%2F").replace("=", "%3D")
    )


@pytest.mark.parametrize(
    ("status", "answer", "ok", "retry"),
    [
        (200, {"errcode": 0, "errmsg": "ok"}, True, False),
        (500, {}, False, True),
        (429, {}, False, True),
        (200, {"errcode": 45009, "errmsg": "api freq out of limit"}, False, True),
        (200, {"errcode": 130101, "errmsg": "send too fast"}, False, True),
        (200, {"errcode": -1, "errmsg": "system busy"}, False, True),
        (200, {"errcode": 310000, "errmsg": "sign not match"}, False, False),
        (200, {"errcode": 93000, "errmsg": "invalid webhook url"}, False, False),
        (404, {}, False, False),
    ],
)
def test_busy_or_down_platforms_are_tried_again_and_refusals_are_not(status, answer, ok, retry):
    result = read_answer(status, json.dumps(answer).encode())

    assert (result.ok, result.retry) == (ok, retry)


# --- the morning daily-clearing reminder reaches the dealer's group ---------------------------


def test_the_morning_daily_clearing_reminder_reaches_the_dealers_wecom_group(
    stub, cast, dealer, django_capture_on_commit_callbacks
):
    robot = wecom_robot(stub, dealer=dealer, topics=[NoticeTopic.DAILY_CLEARING])
    ComplaintFactory(dealer=dealer, received_at=timezone.now() - timedelta(hours=30))

    with django_capture_on_commit_callbacks(execute=True):
        send_daily_clearing_reminders.delay()

    assert stub.problems == []
    assert len(stub.received) == 1
    message = stub.received[0]
    assert message["path"] == "/wecom/send"
    assert "日清" in text_of(message) and "/surveys/board/?day=" in text_of(message)
    assert "http://" in text_of(message)  # an absolute link, a group chat has no portal host
    delivery = RobotDelivery.objects.get(robot=robot)
    assert (delivery.status, delivery.attempts, delivery.topic) == (
        DeliveryStatus.SENT,
        1,
        NoticeTopic.DAILY_CLEARING,
    )
    assert Notice.objects.get(user=cast["dealer_user"]).topic == NoticeTopic.DAILY_CLEARING


def test_a_regional_managers_reminder_reaches_the_regions_signed_dingtalk_group(
    stub, cast, dealer, east, django_capture_on_commit_callbacks
):
    dingtalk_robot(stub, region=east, topics=[NoticeTopic.DAILY_CLEARING])
    ComplaintFactory(dealer=dealer, received_at=timezone.now() - timedelta(hours=30))

    with django_capture_on_commit_callbacks(execute=True):
        send_daily_clearing_reminders.delay()

    assert stub.problems == []
    assert [m["path"] for m in stub.received] == ["/dingtalk/send"]
    assert stub.received[0]["query"]["sign"] and stub.received[0]["body"]["markdown"]["title"]
    assert cast["regional_manager"].display_name in text_of(stub.received[0])


def test_a_wrong_secret_is_refused_by_dingtalk_and_the_delivery_fails_without_retrying(
    stub, dealer_user, dealer, django_capture_on_commit_callbacks
):
    robot = dingtalk_robot(stub, dealer=dealer, secret="SEC-not-the-groups-secret")

    with django_capture_on_commit_callbacks(execute=True):
        notice_send(users=[dealer_user], text="测试", url="/", topic=NoticeTopic.WORKBENCH)

    delivery = RobotDelivery.objects.get(robot=robot)
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 1)
    assert "bad signature" in delivery.last_error


# --- who routes where ---------------------------------------------------------------------


def test_one_message_per_robot_for_a_batch_of_several_users(
    stub, dealer, dealer_user, django_capture_on_commit_callbacks
):
    second = UserFactory(username="dealer_user_2", role=Role.DEALER_USER, dealer=dealer, first_name="二")
    wecom_robot(stub, dealer=dealer)

    with django_capture_on_commit_callbacks(execute=True):
        notice_send(users=[dealer_user, second], text="热点预警：请今天联系客户", url="/surveys/alerts/")

    assert len(stub.received) == 1
    assert RobotDelivery.objects.count() == 1
    assert Notice.objects.count() == 2


def test_a_user_who_keeps_a_topic_out_of_the_group_is_not_posted_there(
    stub, dealer, dealer_user, django_capture_on_commit_callbacks
):
    wecom_robot(stub, dealer=dealer)
    notice_preference_save(user=dealer_user, email=True, group_topics=[NoticeTopic.HOT_ALERT])

    with django_capture_on_commit_callbacks(execute=True):
        notice_send(users=[dealer_user], text="日清", url="/", topic=NoticeTopic.DAILY_CLEARING)
        notice_send(users=[dealer_user], text="热点", url="/", topic=NoticeTopic.HOT_ALERT)

    assert [text_of(m).count("热点") for m in stub.received] == [1]
    assert Notice.objects.filter(user=dealer_user).count() == 2  # the inbox keeps both


def test_a_robot_gets_only_the_topics_it_takes_and_an_inactive_robot_nothing(
    stub, dealer, dealer_user, django_capture_on_commit_callbacks
):
    wecom_robot(stub, dealer=dealer, topics=[NoticeTopic.GOAL_AT_RISK])
    wecom_robot(stub, dealer=dealer, name="旧群", active=False)

    with django_capture_on_commit_callbacks(execute=True):
        notice_send(users=[dealer_user], text="工单", url="/", topic=NoticeTopic.WORKBENCH)
        notice_send(users=[dealer_user], text="目标", url="/", topic=NoticeTopic.GOAL_AT_RISK)

    assert len(stub.received) == 1 and "目标" in text_of(stub.received[0])


def test_another_dealers_robot_never_hears_this_dealers_notices(
    stub, other_dealer, dealer_user, django_capture_on_commit_callbacks
):
    wecom_robot(stub, dealer=other_dealer)

    with django_capture_on_commit_callbacks(execute=True):
        notice_send(users=[dealer_user], text="工单", url="/", topic=NoticeTopic.WORKBENCH)

    assert stub.received == [] and not RobotDelivery.objects.exists()


def test_a_user_who_turned_email_off_gets_no_email_but_the_notice(dealer_user, mailoutbox):
    dealer_user.email = "dealer@example.cn"
    dealer_user.save()
    notice_preference_save(user=dealer_user, email=False, group_topics=NoticeTopic.values)

    notice_send(users=[dealer_user], text="日清", url="/", email_subject="日清")

    assert mailoutbox == [] and Notice.objects.filter(user=dealer_user).exists()


# --- retries and failures never reach the request -------------------------------------------


def test_a_platform_error_then_success_is_retried_and_sent(
    stub, dealer, dealer_user, django_capture_on_commit_callbacks
):
    robot = wecom_robot(stub, dealer=dealer)
    stub.answers = [(500, {}), (200, {"errcode": 45009, "errmsg": "api freq out of limit"})]

    with django_capture_on_commit_callbacks(execute=True):
        notice_send(users=[dealer_user], text="日清", url="/", topic=NoticeTopic.DAILY_CLEARING)

    delivery = RobotDelivery.objects.get(robot=robot)
    assert (delivery.status, delivery.attempts, delivery.last_error) == (DeliveryStatus.SENT, 3, "")
    assert len(stub.received) == 1


def test_a_robot_that_stays_down_is_recorded_failed_and_the_sender_is_not_troubled(
    stub, dealer, dealer_user, django_capture_on_commit_callbacks
):
    robot = wecom_robot(stub, dealer=dealer)
    stub.answers = [(503, {})] * (ROBOT_MAX_RETRIES + 1)

    with django_capture_on_commit_callbacks(execute=True):
        told = notice_send(users=[dealer_user], text="日清", url="/", topic=NoticeTopic.DAILY_CLEARING)

    assert told == 1
    delivery = RobotDelivery.objects.get(robot=robot)
    assert (delivery.status, delivery.attempts, delivery.last_error) == (
        DeliveryStatus.FAILED,
        ROBOT_MAX_RETRIES + 1,
        "HTTP 503",
    )


def test_a_robot_nobody_answers_at_is_recorded_failed_and_the_page_still_answers(
    dealer, dealer_user, django_capture_on_commit_callbacks
):
    robot = GroupRobot.objects.create(
        platform=RobotPlatform.WECOM,
        name="没人接的群",
        webhook_url="http://127.0.0.1:9/wecom/send?key=nobody",  # the discard port: refused
        dealer=dealer,
        topics=list(NoticeTopic.values),
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(dealer_user).post(f"/account/channels/robots/{robot.pk}/test/")

    assert response.status_code == 302
    delivery = RobotDelivery.objects.get(robot=robot)
    assert delivery.status == DeliveryStatus.FAILED and delivery.last_error.startswith("network")


# --- the notification channels page ------------------------------------------------------------


@pytest.mark.parametrize(
    "role",
    ["dealer_user", "other_dealer_user", "regional_manager", "hq_manager", "hq_admin"],
)
def test_every_role_reaches_the_channels_page_from_the_user_menu(cast, role):
    home = client_for(cast[role]).get("/notices/")
    assert 'href="/account/channels/"' in home.content.decode()

    page = client_for(cast[role]).get("/account/channels/")

    assert page.status_code == 200
    assert ('data-testid="add-robot"' in page.content.decode()) is (role != "hq_manager")


def test_a_technical_expert_chooses_email_only(db):
    expert = UserFactory(username="expert", role=Role.TECH_EXPERT)

    page = client_for(expert).get("/account/channels/")

    assert page.status_code == 200
    assert "group_topics" not in page.content.decode() and "add-robot" not in page.content.decode()


def test_a_user_saves_their_choices_on_the_page(dealer_user):
    response = client_for(dealer_user).post(
        "/account/channels/", {"group_topics": [NoticeTopic.WORKBENCH, NoticeTopic.HOT_ALERT]}
    )

    assert response.status_code == 302
    preference = dealer_user.notice_preference
    assert preference.email is False
    assert preference.to_group(NoticeTopic.HOT_ALERT) and not preference.to_group(NoticeTopic.DAILY_CLEARING)


def test_a_dealer_user_adds_their_dealers_robot_and_never_sees_its_key_again(stub, dealer, dealer_user):
    url = stub.url(RobotPlatform.WECOM, key="693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa")

    response = client_for(dealer_user).post(
        "/account/channels/robots/new/",
        {
            "owner": f"dealer:{dealer.pk}",
            "platform": RobotPlatform.WECOM,
            "name": "南京01店售后群",
            "webhook_url": url,
            "topics": [NoticeTopic.DAILY_CLEARING],
        },
    )

    assert response.status_code == 302
    robot = GroupRobot.objects.get()
    assert (robot.dealer, robot.topics) == (dealer, [NoticeTopic.DAILY_CLEARING])
    for page in ("/account/channels/", f"/account/channels/robots/{robot.pk}/"):
        html = client_for(dealer_user).get(page).content.decode()
        assert "693a…" in html and "693a91f6" not in html
    event = AuditEvent.objects.get(action="group_robot.added")
    assert "693a91f6" not in json.dumps(event.after)


def test_a_dealer_user_cannot_add_a_robot_for_another_dealer(other_dealer, dealer_user, stub):
    response = client_for(dealer_user).post(
        "/account/channels/robots/new/",
        {
            "owner": f"dealer:{other_dealer.pk}",
            "platform": RobotPlatform.WECOM,
            "name": "x",
            "webhook_url": stub.url(RobotPlatform.WECOM),
        },
    )

    assert response.status_code == 200 and not GroupRobot.objects.exists()


@pytest.mark.parametrize(
    "webhook",
    ["http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc", "ftp://127.0.0.1/x", "not a url"],
)
def test_a_webhook_must_be_https_or_a_local_stub(dealer, dealer_user, webhook):
    response = client_for(dealer_user).post(
        "/account/channels/robots/new/",
        {
            "owner": f"dealer:{dealer.pk}",
            "platform": RobotPlatform.WECOM,
            "name": "x",
            "webhook_url": webhook,
        },
    )

    assert response.status_code == 200 and not GroupRobot.objects.exists()


def test_changing_a_robot_keeps_its_webhook_and_secret_when_left_empty_and_is_audited(
    stub, east, regional_manager
):
    robot = dingtalk_robot(stub, region=east)
    url = robot.webhook_url

    response = client_for(regional_manager).post(
        f"/account/channels/robots/{robot.pk}/",
        {
            "name": "华东服务群",
            "topics": [NoticeTopic.HOT_ALERT],
            "active": "on",
            "webhook_url": "",
            "secret": "",
        },
    )

    assert response.status_code == 302
    robot.refresh_from_db()
    assert (robot.name, robot.webhook_url, robot.secret, robot.topics) == (
        "华东服务群",
        url,
        SECRET,
        [NoticeTopic.HOT_ALERT],
    )
    event = AuditEvent.objects.get(action="group_robot.changed")
    assert event.before["name"] == "华东区域服务群" and event.after["signed"] is True
    assert SECRET not in json.dumps([event.before, event.after])


def test_turning_a_robot_off_keeps_it_and_its_deliveries(stub, dealer, dealer_user):
    robot = wecom_robot(stub, dealer=dealer)

    client_for(dealer_user).post(f"/account/channels/robots/{robot.pk}/active/", {"active": "0"})

    robot.refresh_from_db()
    assert robot.active is False


def test_the_test_button_posts_a_test_message_to_the_group(
    stub, dealer, dealer_user, django_capture_on_commit_callbacks
):
    robot = wecom_robot(stub, dealer=dealer)

    with django_capture_on_commit_callbacks(execute=True):
        client_for(dealer_user).post(f"/account/channels/robots/{robot.pk}/test/")

    assert len(stub.received) == 1 and dealer_user.display_name in text_of(stub.received[0])
    page = client_for(dealer_user).get("/account/channels/").content.decode()
    assert 'data-testid="delivery-table"' in page and "badge-good" in page


# --- isolation ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "owner"),
    [
        ("other_dealer_user", "dealer"),
        ("dealer_user", "region"),
        ("other_regional_manager", "dealer"),
        ("other_regional_manager", "region"),
        ("hq_manager", "dealer"),
    ],
)
@pytest.mark.parametrize("action", ["edit", "active", "test"])
def test_a_robot_outside_the_users_scope_answers_404_or_403(stub, cast, dealer, east, role, owner, action):
    robot = wecom_robot(stub, **({"dealer": dealer} if owner == "dealer" else {"region": east}))
    path = {
        "edit": f"/account/channels/robots/{robot.pk}/",
        "active": f"/account/channels/robots/{robot.pk}/active/",
        "test": f"/account/channels/robots/{robot.pk}/test/",
    }[action]

    client = client_for(cast[role])
    status = client.get(path).status_code if action == "edit" else client.post(path).status_code

    # HQ managers manage no robots (403); everyone else finds no robot outside their scope (404).
    assert status == (403 if role == "hq_manager" else 404)
    assert not RobotDelivery.objects.exists()


def test_the_channels_page_lists_only_the_robots_in_scope(stub, cast, dealer, other_dealer, east, south):
    mine = wecom_robot(stub, dealer=dealer, name="本店群")
    wecom_robot(stub, dealer=other_dealer, name="别店群")
    wecom_robot(stub, region=east, name="华东群")
    wecom_robot(stub, region=south, name="华南群")

    def listed(role: str) -> set[str]:
        robots = client_for(cast[role]).get("/account/channels/").context["robots"]
        return {r.name for r in robots}

    assert listed("dealer_user") == {mine.name}
    assert listed("regional_manager") == {"本店群", "别店群", "华东群"}
    assert listed("hq_admin") == {"本店群", "别店群", "华东群", "华南群"}


def test_the_masked_webhook_keeps_four_characters_of_each_key():
    assert mask_webhook_url("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx") == (
        "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a…"
    )


# --- the Celery task (workers retry with backoff; in process the service loops) ---------------


def test_the_task_asks_celery_to_retry_while_a_robot_is_busy_and_gives_up_quietly_at_the_last_try(
    stub, dealer
):
    from celery.exceptions import Retry

    from dealers.tasks import deliver_robot_messages

    robot = wecom_robot(stub, dealer=dealer)
    delivery = RobotDelivery.objects.create(robot=robot, topic=NoticeTopic.OTHER, title="t", text="x")
    stub.answers = [(502, {}), (502, {})]

    with pytest.raises(Retry):
        deliver_robot_messages.apply(args=[[delivery.pk]])
    deliver_robot_messages.apply(args=[[delivery.pk]], retries=ROBOT_MAX_RETRIES)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 2)
    assert deliver_robot_messages.max_retries == ROBOT_MAX_RETRIES and deliver_robot_messages.retry_backoff


def test_a_delivery_already_sent_is_not_posted_again(stub, dealer):
    from dealers.tasks import deliver_robot_messages

    robot = wecom_robot(stub, dealer=dealer)
    delivery = RobotDelivery.objects.create(robot=robot, topic=NoticeTopic.OTHER, title="t", text="x")

    deliver_robot_messages.apply(args=[[delivery.pk]])
    deliver_robot_messages.apply(args=[[delivery.pk]])

    assert len(stub.received) == 1


def test_the_sweep_queues_again_a_message_whose_task_was_lost_and_leaves_fresh_ones_to_their_task(
    stub, dealer, django_capture_on_commit_callbacks
):
    from assessments.tasks import sweep_background_work

    robot = wecom_robot(stub, dealer=dealer)
    lost = RobotDelivery.objects.create(
        robot=robot, topic=NoticeTopic.OTHER, title="t", text="lost with the broker"
    )
    stalled = RobotDelivery.objects.create(
        robot=robot, topic=NoticeTopic.OTHER, title="t", text="retries lost with a worker", attempts=2
    )
    fresh = RobotDelivery.objects.create(
        robot=robot, topic=NoticeTopic.OTHER, title="t", text="its task is on the way"
    )
    retrying = RobotDelivery.objects.create(
        robot=robot, topic=NoticeTopic.OTHER, title="t", text="between two tries", attempts=1
    )
    now = timezone.now()
    RobotDelivery.objects.filter(pk=lost.pk).update(created_at=now - timedelta(minutes=5))
    RobotDelivery.objects.filter(pk=stalled.pk).update(created_at=now - timedelta(minutes=45))
    RobotDelivery.objects.filter(pk=retrying.pk).update(created_at=now - timedelta(minutes=5))

    with django_capture_on_commit_callbacks(execute=True):
        result = sweep_background_work()

    assert result["robot_messages_queued"] == 2
    posted = " ".join(text_of(m) for m in stub.received)
    assert "lost with the broker" in posted and "retries lost with a worker" in posted
    statuses = dict(RobotDelivery.objects.values_list("pk", "status"))
    assert statuses[lost.pk] == statuses[stalled.pk] == DeliveryStatus.SENT
    assert statuses[fresh.pk] == statuses[retrying.pk] == DeliveryStatus.PENDING
    assert len(stub.received) == 2
