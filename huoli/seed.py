"""Seeds a demo community through the public API, as an operator and its members would make it:
three tiers, people with Chinese names and roles, a month of activities, events with
registrations and check-ins, and content on the calendar."""

import random
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from huoli.api import ApiError, HuoliApi

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
GIVEN_NAMES = (
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "洋", "艳", "勇", "军", "杰", "娟", "涛",
    "明", "超", "秀英", "霞", "平", "刚", "桂英", "晓燕", "子涵", "浩然", "欣怡", "梓萱", "宇轩",
)  # fmt: skip
STAFF_ROLES = (
    "admin",
    "assistant",
    "event_officer",
    "recorder",
    "designer",
    "diplomat",
    "enforcer",
)
ACTIVITY_TYPES = ("message", "message", "message", "reply", "reply", "reaction", "share")
CONTENT = (
    ("brief", "早报｜社群运营的十个好习惯", "今天聊聊如何让社群保持活力 🌱"),
    ("tutorial", "新人指南：如何参加线下读书会", "报名、签到、分享，一步一步来 📚"),
    ("announcement", "本月活动预告", "三场主题聚会与一次志愿服务，欢迎报名 🎉"),
    ("discussion_topic", "本周话题：你最近读的一本书", "在评论区分享书名和一句话感受"),
    ("expert_opinion", "专家观点：社群的生命周期", "成长、成熟、衰退，每个阶段该做什么"),
)
EVENTS = (
    ("读书分享会 · 《活着》", "knowledge_share", "offline", "深圳南山图书馆 3 楼"),
    ("线上共读：每周一书", "salon", "online", None),
    ("社区志愿服务：图书整理", "volunteering", "offline", "福田区社区中心"),
)


@dataclass
class SeedPlan:
    members: int = 60
    days: int = 30
    activities: int = 3000
    seed: int = 7
    name: str = "深圳读书会 📚"


@dataclass
class SeedResult:
    community_id: str
    owner_user_id: str
    tier_ids: list[str] = field(default_factory=list)
    member_ids: list[str] = field(default_factory=list)
    event_ids: list[str] = field(default_factory=list)
    content_ids: list[str] = field(default_factory=list)
    activities: int = 0


Step = Callable[[str, int], None]
"""Reports progress: a label and how many units of work were just done."""
TokenFor = Callable[[str], str]
"""A bearer token acting as the given user (members register themselves for events)."""


def total_work(plan: SeedPlan) -> int:
    """The units `seed_community` reports, so a progress bar knows its length."""
    return 3 + plan.members + plan.activities + len(EVENTS) + len(CONTENT)


def eventually(call: Callable[[], Any], *, seconds: float = 60) -> Any:
    """Content, events and scoring learn of a new community or member through the broker, a
    moment after members answered: retry what they refuse as unknown (404) until they know."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return call()
        except ApiError as error:
            if error.status != 404 or time.monotonic() > deadline:
                raise
        time.sleep(0.2)


def chinese_names(rng: random.Random, count: int) -> Iterator[str]:
    seen: set[str] = set()
    while len(seen) < count:
        name = rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES)
        if name in seen:
            name += str(len(seen))
        seen.add(name)
        yield name


def seed_community(api: HuoliApi, plan: SeedPlan, *, step: Step, token_for: TokenFor) -> SeedResult:
    """Create the demo community with `api` acting as its owner."""
    rng = random.Random(plan.seed)
    run = uuid.uuid4().hex[:6]
    community = api.post(
        "/communities",
        {
            "name": plan.name,
            "topic": "读书与分享",
            "description": "每周共读一本书，每月一次线下聚会。",
            "join_policy": "open",
            "timezone": "Asia/Shanghai",
            "rules": ["友善交流", "不发广告 🚫", "分享请注明出处"],
        },
    )
    cid = community["id"]
    result = SeedResult(community_id=cid, owner_user_id=community["owner_user_id"])
    result.tier_ids = _tiers(api, cid)
    step("tiers", 3)

    for index, name in enumerate(chinese_names(rng, plan.members)):
        # Most land in the core tier's neighbours; a few start in the repeat tier.
        tier = result.tier_ids[min(index * 3 // plan.members, 2)]
        member = api.post(
            f"/communities/{cid}/members",
            {
                "user_id": f"demo-{run}-{index}",
                "display_name": name,
                "tier_id": tier,
                "tags": [rng.choice(["读书", "写作", "摄影", "志愿者"])],
            },
        )
        result.member_ids.append(member["id"])
        if index < len(STAFF_ROLES):
            api.put(f"/communities/{cid}/members/{member['id']}/role", {"role": STAFF_ROLES[index]})
        step("members", 1)

    # Scoring refuses activities of members it does not know yet.
    last = result.member_ids[-1]
    eventually(lambda: api.get(f"/communities/{cid}/members/{last}/engagement"))
    result.activities = _activities(api, cid, result.member_ids, plan=plan, rng=rng, step=step)
    result.event_ids = _events(
        api, cid, result.member_ids, run=run, rng=rng, step=step, token_for=token_for
    )
    result.content_ids = _content(api, cid, step)
    return result


def _tiers(api: HuoliApi, cid: str) -> list[str]:
    existing = api.get(f"/communities/{cid}/tiers")
    items = existing["items"] if isinstance(existing, dict) else existing
    ids = [tier["id"] for tier in sorted(items, key=lambda tier: tier["rank"])]
    for name, rank in (("二群", 2), ("留级群", 3)):
        if len(ids) < rank:
            ids.append(api.post(f"/communities/{cid}/tiers", {"name": name, "rank": rank})["id"])
    return ids[:3]


def _activities(
    api: HuoliApi, cid: str, members: list[str], *, plan: SeedPlan, rng: random.Random, step: Step
) -> int:
    now = datetime.now(UTC)
    # A long tail, as in real communities: a few members do most of the talking.
    weights = [1 / (rank + 1) for rank in range(len(members))]
    batch: list[dict[str, Any]] = []
    sent = 0
    for _ in range(plan.activities):
        member, target = rng.choices(members, weights=weights, k=2)
        kind = rng.choice(ACTIVITY_TYPES)
        item: dict[str, Any] = {
            "id": f"seed-{uuid.uuid4().hex}",
            "community_id": cid,
            "member_id": member,
            "type": kind,
            "occurred_at": (
                now - timedelta(seconds=rng.uniform(60, plan.days * 86400))
            ).isoformat(),
        }
        if kind in ("reply", "reaction") and target != member:
            item["target_member_id"] = target
        batch.append(item)
        if len(batch) == 1000:
            sent += _post_activities(api, batch, step)
            batch = []
    if batch:
        sent += _post_activities(api, batch, step)
    return sent


def _post_activities(api: HuoliApi, batch: list[dict[str, Any]], step: Step) -> int:
    answer = api.post("/activities", batch)
    step("activities", len(batch))
    accepted: int = answer["accepted"]
    return accepted


def _events(
    api: HuoliApi,
    cid: str,
    members: list[str],
    *,
    run: str,
    rng: random.Random,
    step: Step,
    token_for: TokenFor,
) -> list[str]:
    now = datetime.now(UTC).replace(microsecond=0)
    ids = []
    for index, (title, kind, event_format, location) in enumerate(EVENTS):
        # The first is under way now, so its attendees can check in; the others are ahead.
        starts_at = now + (timedelta(minutes=10) if index == 0 else timedelta(days=7 * index))
        body: dict[str, Any] = {
            "title": title,
            "kind": kind,
            "format": event_format,
            "starts_at": starts_at.isoformat(),
            "ends_at": (starts_at + timedelta(hours=2)).isoformat(),
            "capacity": 20,
        }
        if location:
            body["location"] = location
        else:
            body["url"] = "https://meeting.example.com/huoli-demo"
        event = eventually(partial(api.post, f"/communities/{cid}/events", body))
        api.post(f"/events/{event['id']}/publish")
        for position, member_id in enumerate(rng.sample(members, k=min(25, len(members)))):
            user = api.as_user(token_for(f"demo-{run}-{members.index(member_id)}"))
            with user:
                registration = eventually(
                    partial(
                        user.post, f"/events/{event['id']}/registrations", {"member_id": member_id}
                    )
                )
                if index == 0 and registration["status"] == "confirmed" and position % 4:
                    user.post(
                        f"/events/{event['id']}/check-ins",
                        {"member_id": member_id, "code": event["checkin_code"]},
                    )
        ids.append(event["id"])
        step("events", 1)
    return ids


def _content(api: HuoliApi, cid: str, step: Step) -> list[str]:
    ids = []
    for kind, title, body in CONTENT:
        content = {
            "kind": kind,
            "title": title,
            "body": body,
            "source": "official",
            "tags": ["精选"],
        }
        item = eventually(partial(api.post, f"/communities/{cid}/content", content))
        api.post(f"/content/{item['id']}/submit")
        api.post(f"/content/{item['id']}/approve")
        # No time: the next free slot under the community's publishing rules.
        api.post(f"/content/{item['id']}/schedule")
        ids.append(item["id"])
        step("content", 1)
    return ids
