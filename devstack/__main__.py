"""`python -m devstack run|migrate`: what `make run` and `make migrate` call."""

import argparse
import os
import signal
import sys
import time
from collections.abc import Mapping

from devstack.ports import taken_ports
from devstack.stack import Stack
from gateway.webhooks.ssrf import ALLOW_PRIVATE_SETTING
from huoli.cli import migrate as huoli_migrate


def migrate() -> None:
    # The operator CLI's migrate: every service's database and the gateway's.
    huoli_migrate(service=None)


# What `make run` sets unless the environment says otherwise: a webhook receiver on this machine
# (a local tool, a test server) is what development uses.
DEVELOPMENT_ENV = {ALLOW_PRIVATE_SETTING: "1"}


def development_env(environ: Mapping[str, str]) -> dict[str, str]:
    return {name: value for name, value in DEVELOPMENT_ENV.items() if name not in environ}


def run() -> None:
    stack = Stack(fixed_ports=True, env=development_env(os.environ))
    taken = taken_ports(stack.required_ports())
    if taken:
        # Refuse before starting anything: a half-started stack would only add to the confusion.
        print(*taken, sep="\n", file=sys.stderr)
        sys.exit("devstack started nothing: free these ports (or stop the other `make run`).")

    def on_signal(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    # Set both explicitly: a shell that starts us in the background leaves SIGINT ignored.
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        stack.start_all()
        print(
            f"\nHuoli is up: gateway {stack.gateway_url}/v1 (docs {stack.gateway_url}/docs), "
            f"Kafka {stack.bootstrap_servers}. Ctrl-C stops everything.\n",
            flush=True,
        )
        while True:
            for name, process in stack.processes.items():
                if not process.alive:
                    print(f"{name} exited with {process.returncode}; stopping", flush=True)
                    raise KeyboardInterrupt
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("\nstopping…", flush=True)
    finally:
        try:
            stack.stop_all()
        except KeyboardInterrupt:
            print("\ninterrupted again: killing what is left", flush=True)
            stack.kill_all()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m devstack")
    parser.add_argument("command", choices=["run", "migrate"])
    args = parser.parse_args()
    if args.command == "migrate":
        migrate()
    else:
        run()


if __name__ == "__main__":
    main()
