"""Chat moderation (on SQLite and PostgreSQL, with the real broker): a community's rules, and the
check a chat bot calls for one message or a batch; verdicts through the sanctions ladder, the
events, idempotency by message id.

Bad input, as answered: a pattern RE2 refuses (back-references, look-around, syntax) → 422
`invalid-pattern`, the rules unchanged; a catastrophic-backtracking pattern (`(a+)+$`) is
accepted and runs in linear time; a 10 MB message → 413 before it is read; 10,000 mentions,
a text over 5000 characters, NUL or a lone surrogate in the text, a batch over 500 or with a
repeated message id → 422 naming the field; a sender who is no member → 422 `unknown-members`;
in each case nothing is stored (checking the message again later gives a fresh verdict)."""

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from services.common.components import MEMBERS
from services.common.events.envelope import utc_now
from services.members.tables import ModerationSettings
from tests.members.test_roles import Community, problem_type
from tests.support import KafkaProbe, actor, assert_problem, service_client

client = service_client(MEMBERS)


def message(member_id: str, text: str = "", **fields: Any) -> dict[str, Any]:
    fields.setdefault("message_id", f"m-{time.perf_counter_ns()}")
    fields.setdefault("sent_at", datetime.now(UTC).isoformat())
    return {"member_id": member_id, "text": text, **fields}


async def check(community: Community, body: dict[str, Any], by: str = "owner") -> httpx.Response:
    response: httpx.Response = await community.client.post(
        f"/v1/communities/{community.id}/moderation/check", json=body, headers=actor(by)
    )
    return response


async def put_rules(community: Community, by: str = "owner", **rules: Any) -> httpx.Response:
    response: httpx.Response = await community.client.put(
        f"/v1/communities/{community.id}/moderation/rules", json=rules, headers=actor(by)
    )
    return response


async def an_old_member(community: Community, user_id: str) -> str:
    """A member past the quiet period of new members (the community's is turned off)."""
    assert (await put_rules(community, quiet_hours=0)).status_code == 200
    return await community.active_member(user_id)


async def test_defaults_follow_the_playbook_and_the_ladder_still_mutes(
    client: httpx.AsyncClient, broker: str
) -> None:
    community = await Community.create(client)
    tom = await an_old_member(community, "tom")
    await community.active_member("eve", role="enforcer")
    rules = await client.get(
        f"/v1/communities/{community.id}/moderation/rules", headers=actor("eve")
    )
    assert rules.status_code == 200, rules.text
    effective = rules.json()["effective_actions"]
    assert effective["ads"] == {"action": "warn", "mute_hours": None}
    assert effective["rumours"]["action"] == "block"
    assert effective["flood"] == {"action": "mute", "mute_hours": 1}
    assert (
        problem_type(
            await client.get(
                f"/v1/communities/{community.id}/moderation/rules", headers=actor("tom")
            ),
            403,
        )
        == "permission-required"
    )

    clean = await check(community, message(tom, "周末一起跑步吗?"), by="eve")
    assert clean.status_code == 200, clean.text
    assert (clean.json()["action"], clean.json()["rule"], clean.json()["matched"]) == (
        "allow",
        None,
        [],
    )
    rumour = (await check(community, message(tom, "紧急扩散!!"))).json()
    assert (rumour["action"], rumour["rule"], rumour["sanction_id"]) == ("block", "rumours", None)
    # Disguised spellings still match: separators, width, case.
    verdicts = []
    texts = ("加 微.信 领红包", "ＢＵＹ－ＮＯＷ cheap", "you are an IDIOT")  # noqa: RUF001
    for text in texts:
        response = await check(community, message(tom, text), by="eve")
        verdicts.append(response.json())
    assert [(v["action"], v["rule"]) for v in verdicts] == [
        ("warn", "ads"),
        ("warn", "ads"),
        ("warn", "abuse"),
    ]
    assert all(v["sanction_id"] for v in verdicts)
    member = await client.get(f"{community.members}/{tom}", headers=actor("owner"))
    assert member.json()["status"] == "muted"  # the third warning, by the ladder
    history = await client.get(f"{community.members}/{tom}/sanctions", headers=actor("owner"))
    assert [(s["kind"], s["by_ladder"]) for s in history.json()["items"]] == [
        ("warn", False),
        ("warn", False),
        ("warn", False),
        ("mute", True),
    ]
    assert history.json()["items"][0]["issued_by"] == "eve"

    async with KafkaProbe(broker) as probe:
        flagged = await probe.events(
            "huoli.members",
            type="message.flagged",
            count=4,
            where=lambda e: e["data"]["community_id"] == community.id,
        )
        sanctioned = await probe.events(
            "huoli.members",
            type="member.sanctioned",
            count=4,
            where=lambda e: e["subject"] == tom,
        )
    assert [e["data"]["action"] for e in flagged] == ["block", "warn", "warn", "warn"]
    assert flagged[1]["data"]["matched"] == [{"rule": "ads", "match": "加微信"}]
    assert flagged[1]["data"]["sanction_id"] == sanctioned[0]["data"]["sanction_id"]
    assert sanctioned[3]["data"]["by_ladder"] is True


async def test_a_check_is_idempotent_by_message_id(client: httpx.AsyncClient) -> None:
    community = await Community.create(client)
    tom = await an_old_member(community, "tom")
    body = message(tom, "傻逼", message_id="wx-1")
    first = await check(community, body)
    again = await check(community, {**body, "text": "hello"})
    batch = await check(community, {"messages": [body, message(tom, "hi", message_id="wx-2")]})
    assert first.json() == again.json() == batch.json()["verdicts"][0]
    assert batch.json()["verdicts"][1]["action"] == "allow"
    history = await client.get(f"{community.members}/{tom}/sanctions", headers=actor("owner"))
    assert len(history.json()["items"]) == 1


async def test_rules_words_patterns_links_kinds_mentions_flood_quiet_and_exemptions(
    client: httpx.AsyncClient,
) -> None:
    community = await Community.create(client)
    tom = await an_old_member(community, "tom")
    helper = await community.active_member("ada", role="assistant")
    rules = {
        "words": {"custom": ["团购群"]},
        "patterns": [{"name": "phone", "pattern": r"1[3-9]\d{9}"}],
        "allowed_domains": ["example.com"],
        "reported_kinds": ["qr_code", "name_card"],
        "mention_limit": 3,
        "flood": {"messages": 2, "seconds": 60},
        "quiet_hours": 0,
        "exempt_roles": ["owner", "admin", "assistant"],
        "actions": {
            "custom": {"action": "alert"},
            "pattern": {"action": "mute", "mute_hours": 2},
            "kind": {"action": "remove"},
            "link": {"action": "off"},
        },
    }
    put = await put_rules(community, **rules)
    assert put.status_code == 200, put.text
    assert put.json()["effective_actions"]["pattern"] == {"action": "mute", "mute_hours": 2}
    assert put.json()["effective_actions"]["ads"]["action"] == "warn"  # kept its default

    base = datetime.now(UTC)
    second, third = base + timedelta(seconds=1), base + timedelta(seconds=2)
    batch = [
        message(tom, "进 团 购 群", sent_at=base.isoformat()),
        message(tom, "see https://evil.test/x and www.example.com", sent_at=second.isoformat()),
        message(tom, "@all", mentions=["a", "b", "c", "d"], sent_at=third.isoformat()),
        message(helper, "加微信 13812345678", kind="qr_code", sent_at=base.isoformat()),
    ]
    verdicts = (await check(community, {"messages": batch})).json()["verdicts"]
    assert [(v["action"], v["rule"]) for v in verdicts] == [
        ("alert", "custom"),
        ("allow", None),  # links are off here
        ("mute", "mentions"),  # and the 3rd message in 60 s: flood, as severe
        ("allow", None),  # assistants are exempt
    ]
    assert {hit["rule"] for hit in verdicts[2]["matched"]} == {"mentions", "flood"}
    member = await client.get(f"{community.members}/{tom}", headers=actor("owner"))
    assert member.json()["status"] == "muted"

    sam = await community.active_member("sam")
    # Full-width digits fold (NFKC) before patterns run.
    wide = "call １３８１２３４５６７８"  # noqa: RUF001
    phone = (await check(community, message(sam, wide))).json()
    assert (phone["action"], phone["rule"]) == ("mute", "pattern")
    assert phone["matched"] == [{"rule": "pattern", "match": "phone"}]
    history = await client.get(f"{community.members}/{sam}/sanctions", headers=actor("owner"))
    assert history.json()["items"][0]["duration_hours"] == 2
    card = (await check(community, message(sam, "", kind="name_card"))).json()
    assert (card["action"], card["rule"]) == ("remove", "kind")
    assert (await client.get(f"{community.members}/{sam}", headers=actor("owner"))).json()[
        "status"
    ] == "removed"

    # The quiet period: a new member's links and images are blocked, their words are not.
    # (A PUT replaces the rules whole.)
    quiet_rules = {"quiet_hours": 24, "allowed_domains": ["example.com"]}
    assert (await put_rules(community, **quiet_rules)).status_code == 200
    newbie = await community.active_member("nia")
    quiet = [
        message(newbie, "look www.example.com"),
        message(newbie, "", kind="image"),
        message(newbie, "大家好"),
    ]
    verdicts = (await check(community, {"messages": quiet})).json()["verdicts"]
    assert [(v["action"], v["rule"]) for v in verdicts] == [
        ("block", "quiet"),
        ("block", "quiet"),
        ("allow", None),
    ]
    later = (base + timedelta(days=2)).isoformat()
    assert (await check(community, message(newbie, "", kind="image", sent_at=later))).json()[
        "action"
    ] == "allow"


async def test_hostile_patterns_are_refused_or_bounded(client: httpx.AsyncClient) -> None:
    community = await Community.create(client)
    tom = await an_old_member(community, "tom")
    for pattern in (r"(a)\1", "(?=a)b", "(", "a{1001}", "((a{100}){100}){100}"):
        refused = await put_rules(community, patterns=[{"name": "bad", "pattern": pattern}])
        assert problem_type(refused, 422) == "invalid-pattern", pattern
    rules = await client.get(
        f"/v1/communities/{community.id}/moderation/rules", headers=actor("owner")
    )
    assert rules.json()["patterns"] == []  # nothing stored
    assert_problem(await put_rules(community, patterns=[{"name": "x", "pattern": "a" * 301}]), 422)
    assert_problem(
        await put_rules(community, actions={"ads": {"action": "warn", "mute_hours": 3}}), 422
    )
    # Catastrophic for a backtracking engine; linear in RE2.
    accepted = await put_rules(
        community, quiet_hours=0, patterns=[{"name": "evil", "pattern": "(a+)+$"}]
    )
    assert accepted.status_code == 200, accepted.text
    text = "a" * 4999 + "!"
    started = time.perf_counter()
    verdict = await check(community, message(tom, text))
    assert time.perf_counter() - started < 1.0
    assert verdict.json()["action"] == "allow"


async def test_bad_messages_are_refused_and_nothing_is_stored(client: httpx.AsyncClient) -> None:
    community = await Community.create(client)
    tom = await an_old_member(community, "tom")
    path = f"/v1/communities/{community.id}/moderation/check"
    huge = {"member_id": tom, "message_id": "big", "text": "x" * 10_000_000, "sent_at": "x"}
    too_large = await client.post(path, json=huge, headers=actor("owner"))
    assert problem_type(too_large, 413) == "payload-too-large"
    for bad, field in (
        (message(tom, "hi", message_id="bad", mentions=["m"] * 10_000), "mentions"),
        (message(tom, "x" * 5001, message_id="bad"), "text"),
        (message(tom, "a\u0000b", message_id="bad"), "text"),
        (message(tom, "hi", message_id="bad", sent_at="2026-12-07T10:00:00"), "sent_at"),
        (message(tom, "hi", message_id="bad", kind="sticker"), "kind"),
    ):
        assert_problem(await check(community, bad), 422), field
    # A lone surrogate travels as JSON's escape (json.dumps writes ASCII).
    lone = json.dumps(message(tom, "a\ud800b", message_id="bad"))
    surrogate = await client.post(
        path, content=lone, headers={**actor("owner"), "content-type": "application/json"}
    )
    assert_problem(surrogate, 422)
    repeated = message(tom, "hi", message_id="dup")
    assert_problem(await check(community, {"messages": [repeated, repeated]}), 422)
    assert_problem(await check(community, {"messages": [message(tom)] * 501}), 422)
    assert_problem(await check(community, {"messages": []}), 422)
    nobody = await check(
        community,
        {
            "messages": [
                message(tom, "傻逼", message_id="bad"),
                message("mbr_nobody", message_id="bad2"),
            ]
        },
    )
    assert problem_type(nobody, 422) == "unknown-members"
    # Nothing of it was stored: the message is checked afresh, and sanctions tom now.
    fresh = (await check(community, message(tom, "傻逼", message_id="bad"))).json()
    assert (fresh["action"], fresh["rule"]) == ("warn", "abuse")
    # A plain member and a stranger may not check.
    assert problem_type(await check(community, message(tom), by="tom"), 403) == (
        "permission-required"
    )
    assert_problem(await check(community, message(tom), by="stranger"), 404)


class Replica:
    """The app under test, for writing as another replica of the service would."""

    app: Any = None


async def _remember(app: Any) -> None:
    Replica.app = app


replica_client = service_client(MEMBERS, prepare=_remember)


async def test_rules_another_replica_replaced_hold_for_the_next_check(
    replica_client: httpx.AsyncClient,
) -> None:
    """Compiled rules are cached per process by the rules row's version (`updated_at`, read in
    the check's one query): a replacement written by another replica, which this process's
    cache never heard of, holds for the very next check here."""
    community = await Community.create(replica_client)
    tom = await an_old_member(community, "tom")
    before = await check(community, message(tom, "进团购群吗"))
    assert before.json()["action"] == "allow"
    async with Replica.app.state.runtime.unit_of_work() as uow:
        row = await uow.session.get(ModerationSettings, community.id)
        assert row is not None
        # As another replica's PUT writes it: the same row, a new version.
        row.rules = {**row.rules, "words": {"custom": ["团购群"]}}
        row.updated_at = utc_now()
    after = await check(community, message(tom, "进团购群吗"))
    assert (after.json()["action"], after.json()["rule"]) == ("block", "custom")
    # And back: the words gone again, the next check allows.
    async with Replica.app.state.runtime.unit_of_work() as uow:
        row = await uow.session.get(ModerationSettings, community.id)
        assert row is not None
        row.rules = {key: value for key, value in row.rules.items() if key != "words"}
        row.updated_at = utc_now()
    again = await check(community, message(tom, "进团购群吗"))
    assert again.json()["action"] == "allow"
