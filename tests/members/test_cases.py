"""Reports worked as cases (on SQLite and PostgreSQL, with the real broker): any member
reports; reports on one target gather in one case; the queue, assignment, comments and
resolutions through the sanctions ladder; the reporters told; disputes naming both parties;
the time to first response and to resolution in the metrics.

Bad input, as answered: a target in another community (a member, a message's sender) → 404
`target-not-found`; a report by someone outside → 404, by a platform admin who is no member →
403 `reporter-not-member`; the same reporter again on an open case → 409 `already-reported`;
the 11th report within an hour → 429 `report-limit-reached` with Retry-After; NUL or a lone
surrogate in the reason, an unknown kind, a message without its sender → 422; a resolution by a
plain member → 403 `permission-required`; resolving twice → 409 `case-resolved`; sanctioning on
a case whose target names no member, archiving what is not content → 409
`resolution-not-applicable`. Nothing is stored by any of them."""

import json
from typing import Any

import httpx
from prometheus_client import REGISTRY

from services.common.components import MEMBERS
from tests.members.test_roles import Community, problem_type
from tests.support import KafkaProbe, actor, assert_problem, service_client

client = service_client(MEMBERS)


async def report(community: Community, by: str, **body: Any) -> httpx.Response:
    response: httpx.Response = await community.client.post(
        f"/v1/communities/{community.id}/reports", json=body, headers=actor(by)
    )
    return response


async def case_action(
    community: Community, by: str, case_id: str, action: str, **body: Any
) -> httpx.Response:
    response: httpx.Response = await community.client.post(
        f"/v1/communities/{community.id}/cases/{case_id}/{action}", json=body, headers=actor(by)
    )
    return response


def sample(name: str, kind: str) -> float:
    return REGISTRY.get_sample_value(name, {"kind": kind}) or 0.0


async def test_reports_gather_in_a_case_worked_to_a_sanction_and_reporters_hear(
    client: httpx.AsyncClient, broker: str
) -> None:
    community = await Community.create(client)
    spammer = await community.active_member("spam")
    ann = await community.active_member("ann")
    bob = await community.active_member("bob")
    eve = await community.active_member("eve", role="enforcer")
    responses_before = sample("huoli_case_first_response_seconds_count", "spam")
    resolutions_before = sample("huoli_case_resolution_seconds_count", "spam")

    target = {"type": "message", "id": "wx-msg-1", "member_id": spammer}
    first = await report(community, "ann", target=target, kind="spam", reason="广告 加微信")
    assert first.status_code == 201, first.text
    case_id = first.json()["case"]["id"]
    second = await report(
        community, "bob", target=target, kind="spam", reason="spam", evidence=["截图 1"]
    )
    assert second.json()["case"]["id"] == case_id
    assert second.json()["case"]["report_count"] == 2
    assert problem_type(
        await report(community, "ann", target=target, kind="spam", reason="again"), 409
    ) == ("already-reported")

    queue = f"/v1/communities/{community.id}/cases"
    listed = await client.get(queue, params={"status": "open"}, headers=actor("eve"))
    assert [item["id"] for item in listed.json()["items"]] == [case_id]
    assert (await client.get(queue, params={"kind": "abuse"}, headers=actor("eve"))).json()[
        "items"
    ] == []
    assert problem_type(await client.get(queue, headers=actor("ann")), 403) == (
        "permission-required"
    )

    assigned = await case_action(community, "eve", case_id, "assign")
    assert assigned.status_code == 200, assigned.text
    assert (assigned.json()["assignee_member_id"], assigned.json()["status"]) == (
        eve,
        "in_progress",
    )
    assert assigned.json()["first_response_at"] is not None
    assert problem_type(await case_action(community, "eve", case_id, "assign", member_id=ann), 404)
    await case_action(community, "eve", case_id, "comments", text="看过聊天记录 checked")
    refused = await case_action(community, "ann", case_id, "resolve", resolution="dismiss")
    assert problem_type(refused, 403) == "permission-required"
    resolved = await case_action(
        community, "eve", case_id, "resolve", resolution="mute", mute_hours=6, note="刷广告"
    )
    assert resolved.status_code == 200, resolved.text
    body = resolved.json()
    assert (body["status"], body["resolution"], body["resolved_by"]) == ("resolved", "mute", "eve")
    assert body["sanction_id"]
    member = await client.get(f"{community.members}/{spammer}", headers=actor("owner"))
    assert member.json()["status"] == "muted"
    history = await client.get(f"{community.members}/{spammer}/sanctions", headers=actor("owner"))
    [sanction] = history.json()["items"]
    assert (sanction["id"], sanction["duration_hours"]) == (body["sanction_id"], 6)
    assert problem_type(
        await case_action(community, "eve", case_id, "resolve", resolution="dismiss"), 409
    ) == ("case-resolved")
    detail = await client.get(f"{queue}/{case_id}", headers=actor("owner"))
    assert [r["reporter_member_id"] for r in detail.json()["reports"]] == [ann, bob]
    assert [n["kind"] for n in detail.json()["notes"]] == ["assign", "comment", "resolve"]

    # A new report on the same target after the resolution opens a new case.
    again = await report(community, "ann", target=target, kind="spam", reason="又来了")
    assert again.json()["case"]["id"] != case_id

    assert sample("huoli_case_first_response_seconds_count", "spam") == responses_before + 1
    assert sample("huoli_case_resolution_seconds_count", "spam") == resolutions_before + 1
    async with KafkaProbe(broker) as probe:
        [told] = await probe.events(
            "huoli.members", type="case.resolved", where=lambda e: e["subject"] == case_id
        )
        filed = await probe.events(
            "huoli.members", type="report.filed", count=2, where=lambda e: e["subject"] == case_id
        )
    assert told["data"]["reporter_member_ids"] == sorted([ann, bob])
    assert (told["data"]["resolution"], told["data"]["sanction_id"]) == (
        "mute",
        body["sanction_id"],
    )
    assert [e["data"]["reporter_member_id"] for e in filed] == [ann, bob]


async def test_disputes_name_both_parties_and_resolutions_must_fit_the_target(
    client: httpx.AsyncClient,
) -> None:
    community = await Community.create(client)
    ann = await community.active_member("ann")
    bob = await community.active_member("bob")
    dispute = await report(
        community, "ann", target={"type": "member", "id": bob}, kind="dispute", reason="纠纷"
    )
    assert dispute.status_code == 201, dispute.text
    assert dispute.json()["case"]["parties"] == sorted([ann, bob])
    content = await report(
        community, "bob", target={"type": "content", "id": "cnt_1"}, kind="rumour", reason="谣言"
    )
    content_case = content.json()["case"]["id"]
    assert problem_type(
        await case_action(community, "owner", content_case, "resolve", resolution="warn"), 409
    ) == ("resolution-not-applicable")
    archived = await case_action(
        community, "owner", content_case, "resolve", resolution="archive_content"
    )
    assert archived.json()["resolution"] == "archive_content"
    member_case = dispute.json()["case"]["id"]
    assert problem_type(
        await case_action(community, "owner", member_case, "resolve", resolution="archive_content"),
        409,
    ) == ("resolution-not-applicable")
    dismissed = await case_action(community, "owner", member_case, "resolve", resolution="dismiss")
    assert (dismissed.json()["resolution"], dismissed.json()["sanction_id"]) == ("dismiss", None)


async def test_bad_reports_are_refused_and_store_nothing(client: httpx.AsyncClient) -> None:
    community = await Community.create(client)
    elsewhere = await Community.create(client)
    stranger = await elsewhere.active_member("zed")
    await community.active_member("ann")
    bob = await community.active_member("bob")
    for target in (
        {"type": "member", "id": stranger},
        {"type": "message", "id": "m1", "member_id": stranger},
        {"type": "member", "id": "mbr_nobody"},
    ):
        refused = await report(community, "ann", target=target, kind="abuse", reason="x")
        assert problem_type(refused, 404) == "target-not-found", target
    assert_problem(
        await report(
            community, "zed", target={"type": "member", "id": bob}, kind="spam", reason="x"
        ),
        404,
    )
    admin = await client.post(
        f"/v1/communities/{community.id}/reports",
        json={"target": {"type": "member", "id": bob}, "kind": "spam", "reason": "x"},
        headers=actor("root", roles=["platform_admin"]),
    )
    assert problem_type(admin, 403) == "reporter-not-member"
    member_target = {"type": "member", "id": bob}
    for bad in (
        {"target": member_target, "kind": "spam", "reason": "a\u0000b"},
        {"target": member_target, "kind": "flame", "reason": "x"},
        {"target": {"type": "message", "id": "m1"}, "kind": "spam", "reason": "x"},
        {"target": {"type": "content", "id": "c1"}, "kind": "dispute", "reason": "x"},
        {"target": member_target, "kind": "spam", "reason": "x", "evidence": ["e"] * 11},
    ):
        assert_problem(await report(community, "ann", **bad), 422)
    lone = json.dumps({"target": member_target, "kind": "spam", "reason": "a\ud800"})
    surrogate = await client.post(
        f"/v1/communities/{community.id}/reports",
        content=lone,
        headers={**actor("ann"), "content-type": "application/json"},
    )
    assert_problem(surrogate, 422)
    queue = await client.get(f"/v1/communities/{community.id}/cases", headers=actor("owner"))
    assert queue.json()["items"] == []  # nothing of the above was stored

    for number in range(10):
        target = {"type": "message", "id": f"m{number}", "member_id": bob}
        filed = await report(community, "ann", target=target, kind="spam", reason="刷屏")
        assert filed.status_code == 201, filed.text
    limited = await report(
        community,
        "ann",
        target={"type": "message", "id": "m10", "member_id": bob},
        kind="spam",
        reason="x",
    )
    assert problem_type(limited, 429) == "report-limit-reached"
    assert limited.headers["retry-after"] == "3600"
    queue = await client.get(
        f"/v1/communities/{community.id}/cases", params={"limit": 50}, headers=actor("owner")
    )
    assert len(queue.json()["items"]) == 10


async def test_erasure_clears_what_moderation_kept_of_a_person(client: httpx.AsyncClient) -> None:
    """What a reporter wrote (reason, evidence) and a handler's user id on cases, notes and
    incidents are replaced when they erase their personal data."""
    community = await Community.create(client)
    bob = await community.active_member("bob")
    await community.active_member("ann")
    await community.active_member("eve", role="enforcer")
    filed = await report(
        community,
        "ann",
        target={"type": "member", "id": bob},
        kind="abuse",
        reason="ann 的手机 13812345678",
        evidence=["截图: ann's chat"],
    )
    case_id = filed.json()["case"]["id"]
    await case_action(community, "eve", case_id, "comments", text="checked")
    await case_action(community, "eve", case_id, "resolve", resolution="dismiss")
    incident = await client.post(
        f"/v1/communities/{community.id}/incidents",
        json={"kind": "dispute", "severity": "low", "summary": "x"},
        headers=actor("eve"),
    )
    for user in ("ann", "eve"):
        erased = await client.delete(f"/v1/users/{user}/personal-data", headers=actor(user))
        assert erased.status_code == 202, erased.text
    detail = (
        await client.get(f"/v1/communities/{community.id}/cases/{case_id}", headers=actor("owner"))
    ).json()
    [kept] = detail["reports"]
    assert (kept["reason"], kept["evidence"]) == ("[erased]", [])
    assert detail["resolved_by"] == "erased"
    assert {note["author"] for note in detail["notes"]} == {"erased"}
    opened = (
        await client.get(
            f"/v1/communities/{community.id}/incidents/{incident.json()['id']}",
            headers=actor("owner"),
        )
    ).json()
    assert (opened["owner"], opened["opened_by"]) == ("erased", "erased")
    assert {entry["author"] for entry in opened["timeline"]} == {"erased"}
