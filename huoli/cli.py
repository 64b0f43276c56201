"""`huoli`: migrate, mint a development token, and look at or steer a community through the API.

huoli migrate                      # every service's database, to the newest schema
huoli token --sub alice            # a development bearer token
huoli leaderboard cmt_… --period week
huoli health cmt_…
huoli tier-policy cmt_…            # a dry run: the table of moves it would make
huoli tier-policy cmt_… --apply    # the real run
huoli seed                         # a demo community with a month of data, via the API
huoli replay --check               # rebuild every score from scoring's ledger, compare only
"""

import asyncio
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from huoli.api import ApiError, HuoliApi, development_token
from huoli.seed import SeedPlan, seed_community, total_work
from services.common.components import GATEWAY, SERVICES
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
    table = Table(title="health alerts")
    table.add_column("alert")
    table.add_column("detail")
    for alert in report.get("alerts", []):
        if isinstance(alert, dict):
            table.add_row(
                str(alert.get("kind", alert.get("type", ""))), str(alert.get("detail", alert))
            )
        else:
            table.add_row(str(alert), "")
    if not report.get("alerts"):
        table.add_row("none", "")
    console.print(table)


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
        except ApiError as error:
            raise _fail(error) from error
    title = "moves made" if apply else "moves planned (dry run; --apply makes them)"
    table = Table(title=title)
    for column in ("member", "from tier", "to tier", "reason", "score"):
        table.add_column(column)
    for move in plan["moves"]:
        table.add_row(
            move["member_id"],
            str(move["from_tier_id"]),
            str(move["to_tier_id"]),
            move["reason"],
            f"{move['score']:.1f}" if move.get("score") is not None else "",
        )
    console.print(table)
    console.print(f"purged: {len(plan['purged'])} member(s) {' '.join(plan['purged'])}")


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
    console.print(f"next: huoli leaderboard {result.community_id} --as {act_as}")


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
