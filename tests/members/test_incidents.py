"""Incidents and playbooks (on SQLite and PostgreSQL): an incident takes its kind's checklist
from the community's playbook (the default until replaced), an owner, a timeline, linked cases
and alerts, and moves open → mitigating → resolved → reviewed; drills are counted apart.

Bad input, as answered: closing (reviewed) without the review, or with part of it → 422
`review-required` / `validation-error`, the incident unchanged; a move backwards or skipping to
reviewed → 409 `wrong-incident-status`; any change to a reviewed incident → 409
`incident-closed`; a checklist index it does not have → 422 `no-such-checklist-item`; a case
of another community → 404 `case-not-found`; an owner who may not work incidents → 404
`member-not-found`; a plain member opening or changing one → 403 `permission-required`; an
unknown kind or severity, NUL in the summary → 422."""

from datetime import UTC, datetime
from typing import Any

import httpx
from prometheus_client import REGISTRY

from services.common.components import MEMBERS
from services.common.events.catalogue import HealthAlertRaised
from services.common.events.envelope import CloudEvent
from services.members.incidents.rules import DEFAULT_PLAYBOOKS, IncidentKind
from tests.members.test_roles import Community, problem_type
from tests.support import actor, assert_problem, eventually, publish_raw, service_client

client = service_client(MEMBERS)


def opened(kind: str, drill: str) -> float:
    sample = REGISTRY.get_sample_value(
        "huoli_incidents_opened_total", {"kind": kind, "drill": drill}
    )
    return sample or 0.0


async def test_an_incident_is_worked_to_its_review(client: httpx.AsyncClient) -> None:
    community = await Community.create(client)
    await community.active_member("eve", role="enforcer")
    await community.active_member("tom")
    base = f"/v1/communities/{community.id}"
    default = await client.get(f"{base}/playbooks/attack", headers=actor("eve"))
    assert default.json() == {
        "kind": "attack",
        "items": list(DEFAULT_PLAYBOOKS[IncidentKind.ATTACK]),
        "default": True,
    }
    for kind in IncidentKind:
        assert DEFAULT_PLAYBOOKS[kind], kind
    assert problem_type(
        await client.put(f"{base}/playbooks/attack", json={"items": ["x"]}, headers=actor("eve")),
        403,
    ) == ("permission-required")
    own = ["开启封群", "清理刷屏", "复盘"]
    put = await client.put(f"{base}/playbooks/attack", json={"items": own}, headers=actor("owner"))
    assert put.json() == {"kind": "attack", "items": own, "default": False}

    before = opened("attack", "false")
    created = await client.post(
        f"{base}/incidents",
        json={"kind": "attack", "severity": "high", "summary": "刷屏攻击 raid"},
        headers=actor("eve"),
    )
    assert created.status_code == 201, created.text
    incident = created.json()
    assert (incident["status"], incident["owner"], incident["drill"]) == ("open", "eve", False)
    assert incident["checklist"] == [{"item": item, "done": False} for item in own]
    assert opened("attack", "false") == before + 1
    path = f"{base}/incidents/{incident['id']}"

    tom_report = await client.post(
        f"{base}/reports",
        json={"target": {"type": "content", "id": "cnt_x"}, "kind": "spam", "reason": "刷屏"},
        headers=actor("tom"),
    )
    case_id = tom_report.json()["case"]["id"]
    moved = await client.patch(
        path,
        json={
            "status": "mitigating",
            "done": [0, 1],
            "link_cases": [case_id],
            "link_alerts": ["alrt_1"],
            "owner": "owner",
        },
        headers=actor("eve"),
    )
    assert moved.status_code == 200, moved.text
    body = moved.json()
    assert body["status"] == "mitigating"
    assert [item["done"] for item in body["checklist"]] == [True, True, False]
    assert (body["case_ids"], body["alert_ids"], body["owner"]) == ([case_id], ["alrt_1"], "owner")
    note = await client.post(f"{path}/entries", json={"text": "已封群"}, headers=actor("eve"))
    assert note.status_code == 201, note.text
    assert problem_type(
        await client.patch(path, json={"status": "open"}, headers=actor("eve")), 409
    ) == ("wrong-incident-status")
    assert problem_type(
        await client.patch(path, json={"status": "reviewed"}, headers=actor("eve")), 409
    ) == ("wrong-incident-status")
    resolved = await client.patch(path, json={"status": "resolved"}, headers=actor("eve"))
    assert resolved.json()["resolved_at"] is not None
    # Closing without its review: refused, nothing changes.
    no_review = await client.patch(path, json={"status": "reviewed"}, headers=actor("eve"))
    assert problem_type(no_review, 422) == "review-required"
    partial = await client.patch(
        path, json={"status": "reviewed", "review": {"cause": "x"}}, headers=actor("eve")
    )
    assert_problem(partial, 422)
    assert (await client.get(path, headers=actor("eve"))).json()["status"] == "resolved"
    review = {"cause": "新成员批量入群刷广告", "actions": "封群、清理、移出", "lessons": "入群审核"}
    closed = await client.patch(
        path, json={"status": "reviewed", "review": review}, headers=actor("eve")
    )
    assert closed.status_code == 200, closed.text
    assert (closed.json()["status"], closed.json()["review"]) == ("reviewed", review)
    assert problem_type(
        await client.patch(path, json={"severity": "low"}, headers=actor("eve")), 409
    ) == ("incident-closed")
    assert problem_type(
        await client.post(f"{path}/entries", json={"text": "late"}, headers=actor("eve")), 409
    ) == ("incident-closed")
    detail = (await client.get(path, headers=actor("owner"))).json()
    assert [entry["kind"] for entry in detail["timeline"]] == [
        "opened",
        "update",
        "note",
        "update",
        "update",
    ]
    assert "status open → mitigating" in detail["timeline"][1]["text"]


async def test_drills_count_apart_and_bad_changes_are_refused(client: httpx.AsyncClient) -> None:
    community = await Community.create(client)
    elsewhere = await Community.create(client)
    await community.active_member("tom")
    base = f"/v1/communities/{community.id}"
    before = opened("leak", "true")
    drill = await client.post(
        f"{base}/incidents",
        json={"kind": "leak", "severity": "low", "summary": "演练", "drill": True},
        headers=actor("owner"),
    )
    assert drill.json()["drill"] is True
    assert opened("leak", "true") == before + 1
    real = await client.post(
        f"{base}/incidents",
        json={"kind": "dispute", "severity": "medium", "summary": "纠纷"},
        headers=actor("owner"),
    )
    listed = await client.get(
        f"{base}/incidents", params={"drill": "false"}, headers=actor("owner")
    )
    assert [item["id"] for item in listed.json()["items"]] == [real.json()["id"]]

    for bad in (
        {"kind": "fire", "severity": "low", "summary": "x"},
        {"kind": "leak", "severity": "extreme", "summary": "x"},
        {"kind": "leak", "severity": "low", "summary": "a\u0000"},
        {"kind": "leak", "severity": "low", "summary": "x", "owner": "tom"},
    ):
        response = await client.post(f"{base}/incidents", json=bad, headers=actor("owner"))
        assert response.status_code in {404, 422}, response.text
    assert problem_type(
        await client.post(
            f"{base}/incidents",
            json={"kind": "leak", "severity": "low", "summary": "x"},
            headers=actor("tom"),
        ),
        403,
    ) == ("permission-required")
    path = f"{base}/incidents/{real.json()['id']}"
    assert problem_type(
        await client.patch(path, json={"done": [99]}, headers=actor("owner")), 422
    ) == ("no-such-checklist-item")
    other = await client.post(
        f"/v1/communities/{elsewhere.id}/reports",
        json={"target": {"type": "content", "id": "c"}, "kind": "spam", "reason": "x"},
        headers=actor("owner"),
    )
    assert problem_type(
        await client.patch(
            path, json={"link_cases": [other.json()["case"]["id"]]}, headers=actor("owner")
        ),
        404,
    ) == ("case-not-found")
    assert problem_type(
        await client.patch(path, json={"severity": "low"}, headers=actor("tom")), 403
    ) == ("permission-required")
    unchanged = (await client.get(path, headers=actor("owner"))).json()
    assert (unchanged["severity"], unchanged["case_ids"], len(unchanged["timeline"])) == (
        "medium",
        [],
        1,
    )
    listed = await client.get(f"{base}/incidents", headers=actor("owner"))
    assert len(listed.json()["items"]) == 2  # the refused ones stored nothing


def alert_record(community_id: str, kind: str) -> tuple[str, bytes]:
    """A `health.alert_raised` as scoring publishes it on huoli.scoring: (its id, the record)."""
    alert = HealthAlertRaised(
        community_id=community_id,
        kind=kind,
        week_starts_on=datetime.now(UTC).date().isoformat(),
        previous_value=1,
        value=25,
        drop=0.0,
        raised_at=datetime.now(UTC),
        threshold=20,
    )
    envelope = CloudEvent(
        source="huoli/scoring",
        type=alert.type,
        subject=community_id,
        communityid=community_id,
        data=alert.model_dump(mode="json"),
    )
    return envelope.id, envelope.model_dump_json().encode()


async def test_early_warnings_open_incidents_where_the_community_lets_them(
    client: httpx.AsyncClient, broker: str
) -> None:
    """Through the real broker: with `auto_open_at: medium`, a join spike (high) opens an attack
    incident owned by the owner with the alert linked, a WAU drop (low) opens nothing; a
    community without the policy gets no incident. A plain member may not set the policy (403),
    an unknown severity is a 422."""
    community = await Community.create(client)
    quiet = await Community.create(client)
    await community.active_member("tom")
    policy = f"/v1/communities/{community.id}/incident-policy"
    assert (await client.get(policy, headers=actor("owner"))).json() == {"auto_open_at": None}
    assert_problem(
        await client.put(policy, json={"auto_open_at": "high"}, headers=actor("tom")), 403
    )
    assert_problem(
        await client.put(policy, json={"auto_open_at": "urgent"}, headers=actor("owner")), 422
    )
    put = await client.put(policy, json={"auto_open_at": "medium"}, headers=actor("owner"))
    assert put.json() == {"auto_open_at": "medium"}

    spike_id, spike = alert_record(community.id, "join_spike")
    _, drop = alert_record(community.id, "wau_drop")
    _, elsewhere = alert_record(quiet.id, "join_spike")
    for record, cid in ((drop, community.id), (elsewhere, quiet.id), (spike, community.id)):
        await publish_raw(broker, "huoli.scoring", record, key=cid.encode())

    async def opened() -> dict[str, Any]:
        listed = await client.get(
            f"/v1/communities/{community.id}/incidents", headers=actor("owner")
        )
        items = listed.json()["items"]
        assert len(items) == 1, items
        return dict(items[0])

    incident = await eventually(opened, timeout=30)
    assert (incident["kind"], incident["severity"], incident["owner"]) == (
        "attack",
        "high",
        "owner",
    )
    assert (incident["alert_ids"], incident["opened_by"]) == ([spike_id], "early-warning")
    assert incident["checklist"][0]["item"] == DEFAULT_PLAYBOOKS[IncidentKind.ATTACK][0]
    others = await client.get(f"/v1/communities/{quiet.id}/incidents", headers=actor("owner"))
    assert others.json()["items"] == []
