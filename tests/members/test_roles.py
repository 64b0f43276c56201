"""Stewardship in the members service (on SQLite and PostgreSQL, with the real broker): editing a
community, approval, roles and ownership, leaving and removal, and the caller's own memberships.

Bad input and refusals, as answered: unknown fields or values → 422 (`validation-error`); a
caller outside the community → 404 `community-not-found`; a role without the permission → 403
`permission-required`; admin matters by a non-owner → 403 `owner-only`; the owner leaving,
removed or demoted → 409 `transfer-ownership-first`; a member in the wrong state → 409
`wrong-member-status`."""

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.common.components import MEMBERS
from services.common.events.catalogue.vocabulary import Role
from services.members.permissions.rules import PERMISSIONS, Permission
from tests.support import KafkaProbe, actor, assert_problem, service_client

client = service_client(MEMBERS)


class Community:
    """One community created by `owner`, and helpers to act in it."""

    def __init__(self, client: httpx.AsyncClient, body: dict[str, Any]) -> None:
        self.client = client
        self.id: str = body["id"]
        self.members = f"/v1/communities/{self.id}/members"

    @classmethod
    async def create(cls, client: httpx.AsyncClient, **fields: object) -> "Community":
        response = await client.post(
            "/v1/communities", json={"name": "跑团 Runners", **fields}, headers=actor("owner")
        )
        assert response.status_code == 201, response.text
        return cls(client, response.json())

    async def join(self, user_id: str) -> dict[str, Any]:
        response = await self.client.post(
            self.members, json={"user_id": user_id, "display_name": user_id}, headers=actor(user_id)
        )
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    async def member_of(self, user_id: str) -> dict[str, Any]:
        response = await self.client.get(
            self.members, params={"user_id": user_id}, headers=actor("owner")
        )
        [member] = response.json()["items"]
        return dict(member)

    def act(self, by: str, method: str, member_id: str, action: str = "", **body: object) -> Any:
        path = f"{self.members}/{member_id}" + (f"/{action}" if action else "")
        return self.client.request(method, path, json=body or None, headers=actor(by))

    async def set_role(self, by: str, member_id: str, role: str) -> httpx.Response:
        response: httpx.Response = await self.act(by, "PUT", member_id, "role", role=role)
        return response

    async def active_member(self, user_id: str, role: str = "member") -> str:
        joined = await self.join(user_id)
        member_id: str = joined["id"]
        if joined["status"] == "pending":
            assert (await self.act("owner", "POST", member_id, "approve")).status_code == 200
        if role != "member":
            assert (await self.set_role("owner", member_id, role)).status_code == 200
        return member_id


def problem_type(response: httpx.Response, status: int) -> str:
    return str(assert_problem(response, status)["type"]).rsplit("/", 1)[-1]


async def test_approval_lets_a_pending_member_in_and_announces_it(
    client: httpx.AsyncClient, broker: str
) -> None:
    community = await Community.create(client, join_policy="approval")
    pending = await community.join("carol")
    assert pending["status"] == "pending"

    approved = await community.act("owner", "POST", pending["id"], "approve")
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "active"
    # Now carol is in: she sees the member list.
    assert (await client.get(community.members, headers=actor("carol"))).status_code == 200
    assert problem_type(await community.act("owner", "POST", pending["id"], "approve"), 409) == (
        "wrong-member-status"
    )

    async with KafkaProbe(broker) as probe:
        events = await probe.events(
            "huoli.members", count=2, where=lambda e: e["subject"] == pending["id"]
        )
    assert [e["type"] for e in events] == ["member.approved", "member.joined"]
    assert events[0]["data"]["approved_by"] == "owner"
    assert (events[0]["data"]["status"], events[0]["data"]["user_id"]) == ("active", "carol")


async def test_rejection_turns_away_and_the_user_may_ask_again(
    client: httpx.AsyncClient, broker: str
) -> None:
    community = await Community.create(client, join_policy="approval")
    pending = await community.join("dan")
    for bad in ({"reason": "x" * 501}, {"why": "spam"}, {"reason": "\u0000"}):
        assert_problem(await community.act("owner", "POST", pending["id"], "reject", **bad), 422)
    malformed = await client.post(
        f"{community.members}/{pending['id']}/reject",
        content=b'{"reason": ',
        headers={**actor("owner"), "content-type": "application/json"},
    )
    assert problem_type(malformed, 400) == "malformed-json"
    rejected = await community.act("owner", "POST", pending["id"], "reject", reason="广告号 spam")
    assert rejected.json()["status"] == "rejected"
    assert_problem(await client.get(community.members, headers=actor("dan")), 404)
    again = await community.join("dan")
    assert (again["id"], again["status"]) == (pending["id"], "pending")
    async with KafkaProbe(broker) as probe:
        [event] = await probe.events(
            "huoli.members", type="member.rejected", where=lambda e: e["subject"] == pending["id"]
        )
    assert (event["data"]["rejected_by"], event["data"]["reason"]) == ("owner", "广告号 spam")


async def test_who_may_approve_follows_the_permission_table(client: httpx.AsyncClient) -> None:
    community = await Community.create(client, join_policy="approval")
    approvers = PERMISSIONS[Permission.APPROVE]
    for role in (Role.ASSISTANT, Role.ENFORCER):
        await community.active_member(role, role=role)
        pending = await community.join(f"{role}-applicant")
        answer = await community.act(role, "POST", pending["id"], "approve")
        if role in approvers:
            assert answer.status_code == 200, answer.text
        else:
            assert problem_type(answer, 403) == "permission-required"
    await community.active_member("plain")
    pending = await community.join("hopeful")
    assert problem_type(await community.act("plain", "POST", pending["id"], "approve"), 403) == (
        "permission-required"
    )


async def test_an_admin_of_one_community_cannot_act_in_another(client: httpx.AsyncClient) -> None:
    first = await Community.create(client)
    await first.active_member("ada", role="admin")
    second = await Community.create(client, join_policy="approval")
    pending = await second.join("zed")
    for action in ("approve", "reject"):
        answer = await second.act("ada", "POST", pending["id"], action)
        assert problem_type(answer, 404) == "community-not-found"
    assert problem_type(await second.set_role("ada", pending["id"], "admin"), 404) == (
        "community-not-found"
    )
    assert problem_type(await second.act("ada", "DELETE", pending["id"]), 404) == (
        "community-not-found"
    )
    assert (await second.member_of("zed"))["status"] == "pending"


async def test_roles_change_only_by_the_rules(client: httpx.AsyncClient, broker: str) -> None:
    community = await Community.create(client)
    admin = await community.active_member("ada", role="admin")
    bob = await community.active_member("bob")
    owner = (await community.member_of("owner"))["id"]

    changed = await community.set_role("ada", bob, "designer")
    assert changed.json()["role"] == "designer"
    assert problem_type(await community.set_role("ada", bob, "admin"), 403) == "owner-only"
    assert problem_type(await community.set_role("ada", admin, "member"), 403) == "owner-only"
    assert problem_type(await community.set_role("bob", admin, "member"), 403) == (
        "permission-required"
    )
    assert problem_type(await community.set_role("ada", owner, "member"), 409) == (
        "transfer-ownership-first"
    )
    assert problem_type(await community.set_role("owner", owner, "admin"), 409) == (
        "transfer-ownership-first"
    )
    assert_problem(await community.set_role("owner", bob, "king"), 422, field="role")
    assert_problem(await community.act("owner", "PUT", bob, "role", role="x", extra=1), 422)
    assert problem_type(await community.set_role("owner", "mbr_nope", "admin"), 404) == (
        "member-not-found"
    )
    async with KafkaProbe(broker) as probe:
        [event] = await probe.events(
            "huoli.members", type="member.role_changed", where=lambda e: e["subject"] == bob
        )
    assert (event["data"]["previous_role"], event["data"]["role"]) == ("member", "designer")
    assert event["data"]["changed_by"] == "ada"


async def test_ownership_moves_whole_to_another_active_member(
    client: httpx.AsyncClient, broker: str
) -> None:
    community = await Community.create(client, join_policy="approval")
    pending = await community.join("pat")
    assert problem_type(await community.set_role("owner", pending["id"], "owner"), 409) == (
        "wrong-member-status"
    )
    await community.act("owner", "POST", pending["id"], "approve")
    await community.active_member("ada", role="admin")
    assert problem_type(await community.set_role("ada", pending["id"], "owner"), 403) == (
        "owner-only"
    )

    moved = await community.set_role("owner", pending["id"], "owner")
    assert moved.json()["role"] == "owner"
    owners = await client.get(community.members, params={"role": "owner"}, headers=actor("pat"))
    assert [m["user_id"] for m in owners.json()["items"]] == ["pat"]
    assert (await community.member_of("owner"))["role"] == "admin"
    fetched = await client.get(f"/v1/communities/{community.id}", headers=actor("pat"))
    assert fetched.json()["owner_user_id"] == "pat"
    # The old owner is an admin now: they may leave, the new owner may not.
    old = (await community.member_of("owner"))["id"]
    assert problem_type(await community.act("pat", "DELETE", pending["id"]), 409) == (
        "transfer-ownership-first"
    )
    assert (await community.act("owner", "DELETE", old)).json()["status"] == "left"

    async with KafkaProbe(broker) as probe:
        [updated] = await probe.events(
            "huoli.members", type="community.updated", where=lambda e: e["subject"] == community.id
        )
        [stepped_down] = await probe.events(
            "huoli.members", type="member.role_changed", where=lambda e: e["subject"] == old
        )
    assert updated["data"]["owner_user_id"] == "pat"
    assert (stepped_down["data"]["previous_role"], stepped_down["data"]["role"]) == (
        "owner",
        "admin",
    )
    assert stepped_down["data"]["changed_by"] == "owner"


async def test_leaving_and_removal(client: httpx.AsyncClient, broker: str) -> None:
    community = await Community.create(client)
    owner = (await community.member_of("owner"))["id"]
    leaver = await community.active_member("lee")
    target = await community.active_member("tom")
    enforcer = await community.active_member("eve", role="enforcer")
    admin = await community.active_member("ada", role="admin")

    assert (await community.act("lee", "DELETE", leaver)).json()["status"] == "left"
    assert_problem(await client.get(community.members, headers=actor("lee")), 404)
    assert problem_type(await community.act("lee", "DELETE", leaver), 409) == (
        "wrong-member-status"
    )
    assert problem_type(await community.act("tom", "DELETE", enforcer), 403) == (
        "permission-required"
    )
    assert problem_type(await community.act("eve", "DELETE", admin), 403) == "owner-only"
    for by in ("eve", "ada", "owner"):
        assert problem_type(await community.act(by, "DELETE", owner), 409) == (
            "transfer-ownership-first"
        )
    assert (await community.act("eve", "DELETE", target)).json()["status"] == "removed"
    assert_problem(await client.get(community.members, headers=actor("tom")), 404)
    assert problem_type(await community.act("eve", "DELETE", "mbr_nope"), 404) == (
        "member-not-found"
    )

    # Leaving is undone by joining again; removal only through approval, even here (open).
    assert (await community.join("lee"))["status"] == "active"
    back = await community.join("tom")
    assert (back["id"], back["status"]) == (target, "pending")
    assert (await community.act("ada", "POST", target, "approve")).json()["status"] == "active"

    async with KafkaProbe(broker) as probe:
        [left] = await probe.events(
            "huoli.members", type="member.left", where=lambda e: e["subject"] == leaver
        )
        [removed] = await probe.events(
            "huoli.members", type="member.removed", where=lambda e: e["subject"] == target
        )
    assert left["data"]["user_id"] == "lee"
    assert removed["data"]["removed_by"] == "eve"


async def test_the_community_is_edited_by_owner_and_admins(
    client: httpx.AsyncClient, broker: str
) -> None:
    community = await Community.create(client, topic="跑步")
    await community.active_member("ada", role="admin")
    await community.active_member("bob")
    path = f"/v1/communities/{community.id}"

    edited = await client.patch(
        path,
        json={"name": "夜跑团", "topic": None, "join_policy": "approval", "rules": ["准时 ⏰"]},
        headers=actor("ada"),
    )
    assert edited.status_code == 200, edited.text
    body = edited.json()
    assert (body["name"], body["topic"], body["join_policy"]) == ("夜跑团", None, "approval")
    assert body["timezone"] == "Asia/Shanghai" and body["rules"] == ["准时 ⏰"]
    assert (await client.get(path, headers=actor("ada"))).json() == body
    assert (await community.join("newcomer"))["status"] == "pending"

    assert problem_type(
        await client.patch(path, json={"name": "x"}, headers=actor("bob")), 403
    ) == ("permission-required")
    assert problem_type(
        await client.patch(path, json={"name": "x"}, headers=actor("mallory")), 404
    ) == ("community-not-found")
    for bad in ({"name": None}, {"timezone": "Mars/Base"}, {"join_policy": "vip"}, {"x": 1}):
        [field] = bad
        assert_problem(await client.patch(path, json=bad, headers=actor("owner")), 422, field=field)
    assert_problem(await client.patch(path, json={"name": "x" * 101}, headers=actor("owner")), 422)
    assert_problem(
        await client.patch("/v1/communities/cmty_nope", json={}, headers=actor("owner")), 404
    )
    assert (await client.get(path, headers=actor("bob"))).json() == body

    async with KafkaProbe(broker) as probe:
        [updated] = await probe.events(
            "huoli.members", type="community.updated", where=lambda e: e["subject"] == community.id
        )
    assert (updated["data"]["name"], updated["data"]["join_policy"]) == ("夜跑团", "approval")


async def test_my_memberships_and_lookup_by_user(client: httpx.AsyncClient) -> None:
    first = await Community.create(client, name="一")
    second = await Community.create(client, name="二", join_policy="approval")
    await first.join("me")
    await second.join("me")
    mine = await client.get("/v1/me/memberships", headers=actor("me"))
    assert mine.status_code == 200
    assert [(m["community_name"], m["status"], m["role"]) for m in mine.json()["items"]] == [
        ("一", "active", "member"),
        ("二", "pending", "member"),
    ]
    paged = await client.get("/v1/me/memberships", params={"limit": 1}, headers=actor("me"))
    assert [m["community_id"] for m in paged.json()["items"]] == [first.id]
    rest = await client.get(
        "/v1/me/memberships",
        params={"limit": 1, "cursor": paged.json()["next_cursor"]},
        headers=actor("me"),
    )
    assert [m["community_id"] for m in rest.json()["items"]] == [second.id]
    pending = await client.get(
        "/v1/me/memberships", params={"status": "pending"}, headers=actor("me")
    )
    assert [m["community_id"] for m in pending.json()["items"]] == [second.id]
    assert (await client.get("/v1/me/memberships", headers=actor("nobody"))).json()["items"] == []
    assert_problem(
        await client.get("/v1/me/memberships", params={"status": "vip"}, headers=actor("me")),
        422,
        field="status",
    )
    assert_problem(await client.get("/v1/me/memberships"), 401)

    found = await client.get(first.members, params={"user_id": "me"}, headers=actor("me"))
    assert [m["user_id"] for m in found.json()["items"]] == ["me"]
    # Looking another user up is for staff (who see user ids): the owner finds no ghost.
    none = await client.get(first.members, params={"user_id": "ghost"}, headers=actor("owner"))
    assert none.json()["items"] == []
    assert_problem(
        await client.get(first.members, params={"user_id": "ghost"}, headers=actor("me")), 403
    )
    assert_problem(
        await client.get(first.members, params={"user_id": ""}, headers=actor("me")),
        422,
        field="user_id",
    )


@pytest.mark.parametrize("permission", list(Permission))
def test_the_readme_shows_the_permission_table(permission: Permission) -> None:
    readme = (Path(__file__).parents[2] / "docs" / "members.md").read_text()
    roles = ", ".join(sorted(PERMISSIONS[permission]))
    assert f"| {permission} | {roles} |" in readme


async def test_racing_stewards_leave_one_owner_and_one_decision(client: httpx.AsyncClient) -> None:
    community = await Community.create(client, join_policy="approval")
    heirs = [await community.active_member(name) for name in ("h1", "h2", "h3")]
    transfers = await asyncio.gather(
        *(community.set_role("owner", heir, "owner") for heir in heirs)
    )
    # Losers find either the ownership moved under them (409) or that they are no longer the
    # owner (403), depending on how the database interleaved them.
    statuses = [r.status_code for r in transfers]
    assert statuses.count(200) == 1 and set(statuses) - {200} <= {403, 409}, statuses
    owners = await client.get(community.members, params={"role": "owner"}, headers=actor("h1"))
    assert len(owners.json()["items"]) == 1

    pending = await community.join("racer")
    decisions = await asyncio.gather(
        *(
            community.act(by, "POST", pending["id"], verb)
            for by, verb in (("owner", "approve"), ("owner", "reject"), ("owner", "approve"))
        )
    )
    assert sorted(r.status_code for r in decisions) == [200, 409, 409]
