"""`huoli`: migrate, mint a development token, and look at or steer a community through the API.

huoli migrate                      # every service's database, to the newest schema
huoli token --sub alice            # a development bearer token
huoli leaderboard cmt_… --period week
huoli health cmt_…
huoli tier-policy cmt_…            # a dry run: the table of moves it would make
huoli tier-policy cmt_… --apply    # the real run
huoli seed                         # a demo community with a month of data, via the API
huoli replay --check               # rebuild every score from scoring's ledger, compare only
huoli dlq list                     # what consumers dead-lettered
huoli dlq replay                   # apply it again (idempotent: the inboxes skip what was applied)
"""

import asyncio
import shutil
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from huoli.api import ApiError, HuoliApi, development_token
from huoli.seed import SeedPlan, seed_community, total_work
from services.common.components import GATEWAY, SERVICES
from services.common.events.dead_letters import DeadLetters
from services.common.migrations import upgrade_to_head
from services.common.settings import ServiceSettings
from services.scoring.replay.service import replay as replay_ledger
from services.scoring.settings import ScoringSettings

# Every component with a database of its own.
MIGRATED = (*SERVICES, GATEWAY)

app = typer.Typer(
    help="Operate Huoli: migrations, tokens, and a community's numbers.", no_args_is_help=True
)
console = Console()

GatewayOption = Annotated[
    str, typer.Option("--gateway", envvar="HUOLI_GATEWAY_URL", help="the gateway's base URL")
]
TokenOption = Annotated[
    str | None,
    typer.Option(
        "--token",
        envvar="HUOLI_TOKEN",
        help="bearer token to act with; by default a development token for --as",
    ),
]
ActAsOption = Annotated[str, typer.Option("--as", help="the user a development token names")]


def _api(gateway: str, token: str | None, act_as: str) -> HuoliApi:
    return HuoliApi(gateway, token or development_token(act_as))


def _fail(error: ApiError) -> typer.Exit:
    console.print(f"[red]{error}[/red]")
    return typer.Exit(1)


@app.command()
def migrate(
    service: Annotated[
        str | None,
        typer.Option(help="only this one (members, content, events, scoring, gateway)"),
    ] = None,
) -> None:
    """Apply every service's migrations (and the gateway's) to its configured database
    (`<COMPONENT>_DATABASE_URL`)."""
    chosen = [c for c in MIGRATED if service in (None, c.name)]
    if not chosen:
        raise typer.BadParameter(f"no service named {service!r}", param_hint="--service")
    for component in chosen:
        settings: ServiceSettings = component.load_settings_class()()
        url = settings.resolved_database_url()
        upgrade_to_head(ini_path=component.alembic_ini, database_url=url)
        console.print(f"{component.name}: migrated")


@app.command()
def token(
    sub: Annotated[str, typer.Option(help="the user id the token names")] = "alice",
    roles: Annotated[str, typer.Option(help="comma-separated platform roles")] = "",
) -> None:
    """Print a development bearer token the local gateway accepts."""
    wanted = tuple(role.strip() for role in roles.split(",") if role.strip())
    try:
        typer.echo(development_token(sub, wanted))
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc


@app.command()
def leaderboard(
    community_id: str,
    period: Annotated[str, typer.Option(help="day, week, month or all")] = "week",
    limit: int = 20,
    gateway: GatewayOption = "http://127.0.0.1:8000",
    token: TokenOption = None,
    act_as: ActAsOption = "alice",
) -> None:
    """A community's leaderboard as a table."""
    with _api(gateway, token, act_as) as api:
        try:
            board = api.get(f"/communities/{community_id}/leaderboard", period=period, limit=limit)
        except ApiError as error:
            raise _fail(error) from error
    table = Table(title=f"{community_id} · {period}")
    for column in ("rank", "member", "name", "score"):
        table.add_column(column, justify="right" if column in ("rank", "score") else "left")
    for item in board["items"]:
        table.add_row(
            str(item["rank"]),
            item["member_id"],
            item.get("display_name") or "",
            f"{item['score']:.1f}",
        )
    console.print(table)


@app.command()
def health(
    community_id: str,
    gateway: GatewayOption = "http://127.0.0.1:8000",
    token: TokenOption = None,
    act_as: ActAsOption = "alice",
) -> None:
    """A community's lifecycle stage and health alerts."""
    with _api(gateway, token, act_as) as api:
        try:
            report = api.get(f"/communities/{community_id}/health")
        except ApiError as error:
            raise _fail(error) from error
    console.print(f"{community_id}: lifecycle stage [bold]{report.get('stage')}[/bold]")
    console.print(wau_line(report))
    table = Table(title="health alerts")
    for column in ("alert", "week of", "before", "now", "drop"):
        table.add_column(column)
    for alert in report.get("alerts", []):
        table.add_row(
            str(alert.get("kind", "")),
            str(alert.get("week_starts_on", "")),
            str(alert.get("previous_value", "")),
            str(alert.get("value", "")),
            f"{alert['drop']:.0%}" if isinstance(alert.get("drop"), int | float) else "",
        )
    if not report.get("alerts"):
        table.add_row("none", "", "", "", "")
    console.print(table)


def wau_line(report: dict[str, Any]) -> str:
    """Weekly active members this week and last, and the change, as `huoli health` prints them."""
    change = report.get("wau_change")
    said = "n/a" if change is None else f"{change:+.0%}"
    return f"WAU {report.get('wau', 0)} (last week {report.get('previous_wau', 0)}, change {said})"


@app.command("tier-policy")
def tier_policy(
    community_id: str,
    apply: Annotated[
        bool, typer.Option("--apply", help="make the moves (default: dry run)")
    ] = False,
    current: Annotated[
        bool,
        typer.Option(
            "--current", help="judge the current period so far (default: the one that ended)"
        ),
    ] = False,
    gateway: GatewayOption = "http://127.0.0.1:8000",
    token: TokenOption = None,
    act_as: ActAsOption = "alice",
) -> None:
    """Run the tier policy: a dry run by default, showing the moves as a table."""
    with _api(gateway, token, act_as) as api:
        try:
            plan = api.post(
                f"/communities/{community_id}/tier-policy/run",
                {"dry_run": not apply, "window": "current" if current else "previous"},
            )
            names = _names(api, community_id)
        except ApiError as error:
            raise _fail(error) from error
    for line in tier_policy_report(plan, names, applied=apply):
        console.print(line)


def _names(api: HuoliApi, community_id: str) -> dict[str, str]:
    """Members' display names and tiers' names by id, to print beside the ids."""
    names = {
        tier["id"]: tier["name"] for tier in api.get(f"/communities/{community_id}/tiers")["items"]
    }
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 200, **({"cursor": cursor} if cursor else {})}
        page = api.get(f"/communities/{community_id}/members", **params)
        names |= {member["id"]: member["display_name"] for member in page["items"]}
        cursor = page.get("next_cursor")
        if not cursor:
            return names


def tier_policy_report(plan: dict[str, Any], names: dict[str, str], *, applied: bool) -> list[Any]:
    """What `huoli tier-policy` prints: the moves with names beside ids, what was purged, and
    the steps that had already run this period (so an empty table is explained)."""

    def named(entity_id: str | None) -> str:
        if entity_id is None:
            return "-"
        name = names.get(entity_id)
        return f"{name} ({entity_id})" if name else entity_id

    title = "moves made" if applied else "moves planned (dry run; --apply makes them)"
    table = Table(title=title)
    for column in ("member", "from tier", "to tier", "reason", "score"):
        # Folded, never cut short: an id is what the operator copies into the next command.
        table.add_column(column, overflow="fold")
    for move in plan["moves"]:
        table.add_row(
            named(move["member_id"]),
            named(move["from_tier_id"]),
            named(move["to_tier_id"]),
            move["reason"],
            f"{move['score']:.1f}" if move.get("score") is not None else "",
        )
    lines: list[Any] = [table]
    if not plan["moves"]:
        lines.append("no moves")
    purged = plan.get("purged", [])
    lines.append(f"purged: {len(purged)} member(s) {', '.join(named(m) for m in purged)}".rstrip())
    already = plan.get("already_ran", [])
    if already:
        lines.append(
            f"already ran this period: {', '.join(already)} (each step runs once per period; "
            "the next period's run makes its moves)"
        )
    return lines


@app.command()
def seed(
    members: Annotated[int, typer.Option(min=8, max=2000)] = 60,
    activities: Annotated[int, typer.Option(min=0, max=200_000)] = 3000,
    days: Annotated[int, typer.Option(min=1, max=365)] = 30,
    gateway: GatewayOption = "http://127.0.0.1:8000",
    token: TokenOption = None,
    act_as: ActAsOption = "alice",
) -> None:
    """Create a demo community through the API: Chinese names, three tiers, roles, a month of
    activities, events with registrations and check-ins, content on the calendar."""
    plan = SeedPlan(members=members, activities=activities, days=days)
    with _api(gateway, token, act_as) as api, Progress(console=console) as progress:
        task = progress.add_task("seeding", total=total_work(plan))

        def step(label: str, done: int) -> None:
            progress.update(task, advance=done, description=f"seeding {label}")

        try:
            result = seed_community(api, plan, step=step, token_for=development_token)
        except ApiError as error:
            raise _fail(error) from error
    console.print(
        f"community [bold]{result.community_id}[/bold] (owner {result.owner_user_id}): "
        f"{len(result.member_ids)} members in {len(result.tier_ids)} tiers, "
        f"{result.activities} activities, {len(result.event_ids)} events, "
        f"{len(result.content_ids)} content items"
    )
    console.print(f"next: {huoli_command()} leaderboard {result.community_id} --as {act_as}")


def huoli_command() -> str:
    """How to call this CLI from the caller's shell: `huoli` when it is on PATH, else the path
    it was started by (`.venv/bin/huoli` after `make run`), so a printed hint works as printed."""
    if shutil.which("huoli"):
        return "huoli"
    started = sys.argv[0]
    return started if Path(started).name == "huoli" else ".venv/bin/huoli"


@app.command()
def replay(
    check: Annotated[bool, typer.Option("--check", help="compare only; write nothing")] = False,
) -> None:
    """Rebuild every score from scoring's ledger (`SCORING_DATABASE_URL`): the same fold the
    consumer runs, so the result is identical; `--check` lists differences instead."""
    url = ScoringSettings().resolved_database_url()
    differences = asyncio.run(replay_ledger(url, check=check))
    for difference in differences[:50]:
        console.print(difference)
    if check and differences:
        console.print(f"[red]{len(differences)} difference(s) from the ledger[/red]")
        raise typer.Exit(1)
    console.print("scores match the ledger" if check else "scores rebuilt from the ledger")


dlq_app = typer.Typer(
    help="The dead-letter topics: what consumers gave up on, and applying it again.",
    no_args_is_help=True,
)
app.add_typer(dlq_app, name="dlq")

BootstrapOption = Annotated[
    str,
    typer.Option("--bootstrap-servers", envvar="KAFKA_BOOTSTRAP_SERVERS", help="the Kafka brokers"),
]


@dlq_app.command("list")
def dlq_list(bootstrap_servers: BootstrapOption = "127.0.0.1:9092") -> None:
    """Every dead letter still in the `<topic>.dlq` topics: its consumer, event and error."""
    letters = asyncio.run(DeadLetters(bootstrap_servers).contents())
    # One line each, whole: an operator greps and copies event ids out of it.
    for letter in letters:
        typer.echo(
            f"{letter.topic}[{letter.partition}]@{letter.offset} {letter.consumer} "
            f"{letter.event_type} {letter.event_id} "
            f"{'replayed' if letter.replayed else 'pending'} {letter.error[:300]}"
        )
    pending = sum(not letter.replayed for letter in letters)
    typer.echo(f"{len(letters)} dead letter(s), {pending} not replayed yet")


@dlq_app.command("replay")
def dlq_replay(bootstrap_servers: BootstrapOption = "127.0.0.1:9092") -> None:
    """Publish the dead letters not replayed yet on their original topics: the consumer that
    gave up applies each again, every other consumer's inbox skips it. Run it once the cause
    is fixed; a second run sends only what was dead-lettered since."""
    sent = asyncio.run(DeadLetters(bootstrap_servers).replay())
    for letter in sent:
        console.print(
            f"{letter.original_topic}: {letter.event_type} {letter.event_id}"
            f" (for {letter.consumer})"
        )
    console.print(f"replayed {len(sent)} dead letter(s)")
