"""What a chat bot's moderation check costs, through the gateway (issue 22's two figures).

One run starts, each as its own process with one uvicorn worker: the embedded broker, the members
service (SQLite in a temporary directory) and the gateway. Through the gateway it creates a
community with one member and rules (the default lists, a community word list and two RE2
patterns), then measures, from the closed-loop load generator in a process of its own:

1. a single-message `POST …/moderation/check` at concurrency 1: its p50 (target ≤ 2 ms);
   beside it, in the same run, a primary-key read through the same gateway and service
   (`GET …/communities/{id}`), and the check's p50 as a multiple of it;
2. batches of 100 messages at concurrency 1: messages checked per second, against the bare
   automaton's scan rate over the same messages, measured in this process in the same run (the
   shared screening engine's `Screener.screen` over each message, nothing else): the share
   (target ≥ 0.3).

Every message has a fresh id (a check is idempotent by id, so a repeated id would measure a
lookup) and is stamped with the moment its request is sent (`{now}`: a body stamped once, as
this bench first did, piles every message ever checked into one instant, so the flood rule's
read grew with the run and, past its limit, every message muted its sender). A batch's
messages come from `SENDERS` members in turn, as a chat's do. The messages are `--text-chars`
long (default 2000), mixed Chinese and English, clean but for one in ten that hits a word
(those are `alert`); the run ends by checking no sender was sanctioned, so the ladder's work
is not in the figures.

    .venv/bin/python bench/moderation_bench.py [--seconds 5] [--warmup 1] [--text-chars 2000]

Every process it starts is stopped on exit, also on Ctrl-C or SIGTERM.
"""

import argparse
import json
import os
import platform
import secrets
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make the project's packages importable
    sys.path.insert(0, str(ROOT))

from bench.common import INTERNAL_SECRET, reporting_failures, stop_on_signals  # noqa: E402
from bench.load import Call, LoadGenerator  # noqa: E402
from devstack.broker import EmbeddedBroker  # noqa: E402
from devstack.processes import ManagedProcess, free_port, uvicorn_argv, wait_for_http  # noqa: E402
from gateway.identity.tokens import issue_token  # noqa: E402
from services.common.screening.rules import screener_for  # noqa: E402

OWNER, MEMBER = "bench-owner", "bench-member"
BATCH = 100
SENDERS = 10
TARGET_P50_MS = 2.0
TARGET_SHARE = 0.3
WORDS = {"custom": ["团购群", "内部渠道"]}
RULES = {
    "words": WORDS,
    "patterns": [
        {"name": "phone", "pattern": r"1[3-9]\d{9}"},
        {"name": "wechat-id", "pattern": r"(?:vx|wx|微信号)[:\x{FF1A}]?\s*[a-z][a-z0-9_-]{5,19}"},
    ],
    "quiet_hours": 0,
    "flood": {"messages": 1000, "seconds": 1},
    "actions": {"abuse": {"action": "alert"}, "ads": {"action": "alert"}},
}
_FILLER = "今天的读书会讨论了第三章的内容 we talked about chapter three and the notes 大家都很积极 "


def texts(count: int, chars: int) -> list[str]:
    """`count` chat messages of `chars` characters; one in ten carries an ad phrase."""
    body = (_FILLER * (chars // len(_FILLER) + 1))[:chars]
    return [
        (body[: chars - 4] + "加微信" + str(n % 10))
        if n % 10 == 0
        else body[: chars - 1] + str(n % 10)
        for n in range(count)
    ]


@contextmanager
def running_system(workdir: Path, secret: str) -> Iterator[str]:
    """Start broker, members and the gateway; yields the gateway's URL; stops them all."""
    with ExitStack() as stack:
        log = stack.enter_context((workdir / "processes.log").open("a", encoding="utf-8"))
        env = {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            "HUOLI_ENV": "development",
            "LOG_LEVEL": "WARNING",
            "HUOLI_INTERNAL_SECRET": INTERNAL_SECRET,
        }
        broker = EmbeddedBroker(output=log).start()
        stack.callback(broker.stop)
        members_port, gateway_port = free_port(), free_port()
        members = ManagedProcess(
            "members",
            uvicorn_argv("services.members.app:create_app", members_port, graceful_seconds=3),
            env={
                **env,
                "MEMBERS_DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'members.db'}",
                "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap_servers,
            },
            output=log,
        ).start()
        stack.callback(members.stop)
        members_url = f"http://127.0.0.1:{members_port}"
        wait_for_http(f"{members_url}/readyz", process=members)
        gateway = ManagedProcess(
            "gateway",
            uvicorn_argv("gateway.app:create_app", gateway_port, graceful_seconds=3),
            env={
                **env,
                "JWT_SECRET": secret,
                "GATEWAY_MEMBERS_URL": members_url,
                "GATEWAY_DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'gateway.db'}",
                "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap_servers,
                "GATEWAY_RATE_LIMIT_PER_SECOND": "1000000000",
                "GATEWAY_RATE_LIMIT_BURST": "1000000000",
            },
            output=log,
        ).start()
        stack.callback(gateway.stop)
        gateway_url = f"http://127.0.0.1:{gateway_port}"
        wait_for_http(f"{gateway_url}/healthz", process=gateway)
        yield gateway_url


def prepare(gateway_url: str, secret: str) -> tuple[str, list[str], dict[str, str]]:
    """The community (with its rules) and its `SENDERS` members, made through the gateway."""
    owner = {"Authorization": f"Bearer {issue_token(OWNER, secret=secret, ttl_seconds=3600)}"}
    with httpx.Client(base_url=gateway_url, timeout=10, trust_env=False) as client:
        created = client.post("/v1/communities", json={"name": "Bench 防骚扰"}, headers=owner)
        created.raise_for_status()
        cid = created.json()["id"]
        member_ids = []
        for n in range(SENDERS):
            user = f"{MEMBER}-{n}"
            token = issue_token(user, secret=secret, ttl_seconds=3600)
            joined = client.post(
                f"/v1/communities/{cid}/members",
                json={"user_id": user, "display_name": user},
                headers={"Authorization": f"Bearer {token}"},
            )
            joined.raise_for_status()
            member_ids.append(joined.json()["id"])
        client.put(
            f"/v1/communities/{cid}/moderation/rules", json=RULES, headers=owner
        ).raise_for_status()
    return cid, member_ids, owner


def check_body(member_id: str, text: str, index: int) -> dict[str, object]:
    return {
        "message_id": f"b{{n}}-{index}",
        "member_id": member_id,
        "text": text,
        "sent_at": "{now}",
    }


def unsanctioned(gateway_url: str, cid: str, member_ids: list[str], owner: dict[str, str]) -> None:
    """Fail the run if a sender was sanctioned: the figures would then include the ladder."""
    with httpx.Client(base_url=gateway_url, timeout=10, trust_env=False) as client:
        for member_id in member_ids:
            history = client.get(
                f"/v1/communities/{cid}/members/{member_id}/sanctions", headers=owner
            )
            history.raise_for_status()
            if history.json()["items"]:
                raise RuntimeError(f"member {member_id} was sanctioned during the run")


def bare_scan_rate(messages: list[str], seconds: float) -> float:
    """Messages a second the screening engine alone scans (the community's word lists), here."""
    screener = screener_for(WORDS, ())
    scanned = 0
    started = time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        for text in messages:
            screener.screen([text])
        scanned += len(messages)
    return scanned / elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="measured time per figure")
    parser.add_argument("--warmup", type=float, default=1.0, help="unmeasured time first")
    parser.add_argument("--text-chars", type=int, default=2000, help="characters per message")
    args = parser.parse_args(argv)
    stop_on_signals()
    secret = secrets.token_hex(32)
    messages = texts(BATCH, args.text_chars)
    print(
        f"moderation bench: {args.seconds:g} s per figure after {args.warmup:g} s warm-up, "
        f"{args.text_chars} characters a message, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="huoli-bench-") as tmp:
        workdir = Path(tmp)
        with (
            reporting_failures(workdir / "processes.log"),
            running_system(workdir, secret) as gateway_url,
            LoadGenerator() as generator,
        ):
            cid, member_ids, owner = prepare(gateway_url, secret)
            url = f"{gateway_url}/v1/communities/{cid}/moderation/check"
            single = Call(
                url,
                method="POST",
                headers=owner,
                body=json.dumps(check_body(member_ids[0], messages[1], 0), ensure_ascii=False),
            )
            batch = Call(
                url,
                method="POST",
                headers=owner,
                body=json.dumps(
                    {
                        "messages": [
                            check_body(member_ids[i % SENDERS], t, i)
                            for i, t in enumerate(messages)
                        ]
                    },
                    ensure_ascii=False,
                ),
            )
            with httpx.Client(timeout=10, trust_env=False) as client:
                for call in (single, batch):
                    probe = client.post(
                        call.url,
                        content=(call.body or "")
                        .replace("{n}", "probe")
                        .replace("{now}", datetime.now(UTC).isoformat()),
                        headers={**owner, "content-type": "application/json"},
                    )
                    if probe.status_code != 200:
                        raise RuntimeError(f"the check answered {probe.status_code}: {probe.text}")
            print("  a primary-key read (the reference), c=1 ...", flush=True)
            read = generator.measure(
                Call(f"{gateway_url}/v1/communities/{cid}", headers=owner),
                1,
                args.seconds,
                args.warmup,
            )
            print("  single message, c=1 ...", flush=True)
            one = generator.measure(single, 1, args.seconds, args.warmup)
            print(f"  batches of {BATCH}, c=1 ...", flush=True)
            many = generator.measure(batch, 1, args.seconds, args.warmup)
            unsanctioned(gateway_url, cid, member_ids, owner)
            print("  the bare automaton ...", flush=True)
            bare = bare_scan_rate(messages, args.seconds)
    batched = many.per_second * BATCH
    share = batched / bare if bare else float("nan")
    print()
    met = "met" if one.p50_ms <= TARGET_P50_MS else "NOT met"
    print(
        f"single-message check through the gateway, c=1: p50 {one.p50_ms:.2f} ms, "
        f"p99 {one.p99_ms:.2f} ms, {one.per_second:.0f} req/s, {one.errors} errors "
        f"(target p50 <= {TARGET_P50_MS:g} ms: {met})"
    )
    # On a shared machine the absolute figure moves with the load; the ratio to the cheapest
    # useful request through the same gateway and service, measured in the same run, less so.
    print(
        f"  reference: GET …/communities/{{id}} through the gateway, c=1: p50 {read.p50_ms:.2f} "
        f"ms; the check's p50 is {one.p50_ms / read.p50_ms:.2f}x it"
    )
    print(
        f"batches of {BATCH} through the gateway, c=1: {batched:.0f} messages/s "
        f"(p50 {many.p50_ms:.1f} ms a batch, {many.errors} errors); bare automaton: "
        f"{bare:.0f} messages/s; share {share:.2f} "
        f"(target >= {TARGET_SHARE:g}: {'met' if share >= TARGET_SHARE else 'NOT met'})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
