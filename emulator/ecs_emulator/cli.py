"""Command line: ``ecs-emulator`` / ``python -m ecs_emulator`` (DESIGN.md "Emulator")."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import signal
import ssl
import sys
import threading
import time
from typing import Any

from .auth import DEFAULT_CREDENTIALS, CredentialTable
from .config import CONSISTENCY_PROFILES, DELAY_KEYS, default_config, merge_config
from .ratelimit import parse_spec

STATES = ("Pending", "Starting", "Stopping")


def parse_delays(text: str) -> dict[str, float]:
    """``fast`` (every delay 0), ``P,S,T`` (Pending,Starting,Stopping) or ``Pending=1,Associating=0.5``."""
    if text.strip().lower() in ("fast", "zero", "0"):
        return {state: 0.0 for state in DELAY_KEYS}
    parts = [p.strip() for p in text.split(",") if p.strip()]
    try:
        if all("=" in p for p in parts):
            named = dict(p.split("=", 1) for p in parts)
            lookup = {s.lower(): s for s in DELAY_KEYS}
            if any(name.strip().lower() not in lookup for name in named):
                raise ValueError
            return {lookup[n.strip().lower()]: float(v) for n, v in named.items()}
        if len(parts) != len(STATES):
            raise ValueError
        return dict(zip(STATES, (float(p) for p in parts)))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"bad --delays {text!r}: use 'fast', 'PENDING,STARTING,STOPPING' seconds, or 'Starting=2,...'"
        ) from None


def parse_rate_limit(text: str) -> dict[str, Any]:
    try:
        return parse_spec(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"bad --rate-limit {text!r}: use 'off', 'on', 'RATE[/BURST]' or 'Action=RATE[/BURST],...,*=RATE[/BURST]'"
            " (calls per second / bucket size)"
        ) from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ecs-emulator", description="Local emulator of the Alibaba Cloud ECS OpenAPI."
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port to bind; 0 picks a free port (default 0)")
    parser.add_argument("--state-file", help="persist state here (loaded at start if it exists)")
    parser.add_argument("--config", help="JSON file merged into the default settings")
    parser.add_argument("--seed", action="append", default=[], help="extra seed data JSON file (repeatable)")
    parser.add_argument("--credentials-file", help="JSON file with more credentials (see README)")
    parser.add_argument("--delays", type=parse_delays, help="transition delays: fast | P,S,T | Starting=2,...")
    parser.add_argument(
        "--consistency",
        choices=sorted(CONSISTENCY_PROFILES),
        help="eventual-consistency profile (default: consistent, every change visible at once)",
    )
    parser.add_argument(
        "--consistency-seed", type=int, help="seed of the random consistency delays (default 0: deterministic)"
    )
    parser.add_argument(
        "--rate-limit",
        type=parse_rate_limit,
        help="API flow control (Throttling.User): off | on | RATE[/BURST] | Action=RATE[/BURST],...,*=RATE[/BURST]",
    )
    parser.add_argument(
        "--plugin",
        action="append",
        default=[],
        help="import this Python module at start (registers extra actions; for tests)",
    )
    parser.add_argument("--quiet", action="store_true", help="no per-call log lines on stderr")
    parser.add_argument("--tls-cert", help="serve HTTPS with this PEM certificate (chain); tests of TLS verification")
    parser.add_argument("--tls-key", help="PEM private key of --tls-cert (default: read from the --tls-cert file)")
    parser.add_argument(
        "--exit-with-parent",
        action="store_true",
        help="stop when the process that started us dies (test harnesses: no orphaned emulators)",
    )
    return parser


def cli_config_update(args: argparse.Namespace) -> dict[str, Any]:
    """Only the settings given on the command line (--config file, then --delays)."""
    update: dict[str, Any] = {}
    if args.config:
        with open(args.config, encoding="utf-8") as handle:
            update = json.load(handle)
        if not isinstance(update, dict):
            raise ValueError(f"{args.config}: expected a JSON object")
    if args.delays:
        update["delays"] = {**update.get("delays", {}), **args.delays}
    if args.consistency or args.consistency_seed is not None:
        consistency = dict(update.get("consistency") or {})
        if args.consistency:
            consistency = {**consistency, "profile": args.consistency, **CONSISTENCY_PROFILES[args.consistency]}
        if args.consistency_seed is not None:
            consistency["seed"] = args.consistency_seed
        update["consistency"] = consistency
    if args.rate_limit is not None:
        update["rate_limit"] = {**update.get("rate_limit", {}), **args.rate_limit}
    merge_config(default_config(), update)  # unknown keys -> KeyError before anything starts
    return update


def build_app(args: argparse.Namespace):
    from .server import App
    from .state import Store

    for module in args.plugin:
        importlib.import_module(module)
    update = cli_config_update(args)
    store = Store(config=merge_config(default_config(), update), seed_files=list(args.seed))
    app = App(store, CredentialTable.from_file(args.credentials_file), args.state_file, args.quiet)
    if app.load_state() and update:
        with store.lock:  # the command line wins over settings saved in the state file
            store.update_config(update)
    app.persist()
    return app


def tls_context(cert: str, key: str | None) -> ssl.SSLContext:
    """Server context; the handshake runs in the connection's thread (first read), not in the accept loop."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


def print_banner(host: str, port: int, scheme: str = "http") -> None:
    print(f"ECS emulator listening on {scheme}://{host}:{port}", flush=True)
    default = DEFAULT_CREDENTIALS[0]
    print(f"AccessKeyId:     {default.access_key_id}")
    print(f"AccessKeySecret: {default.secret}")
    print(f"Account:         {default.account}")
    print("Control API:     %s://%s:%d/_emulator/health" % (scheme, host, port), flush=True)


def watch_parent(parent: int, server, interval: float = 0.5) -> None:
    """Shut down once reparented (the parent died, even by SIGKILL, so it cannot stop us)."""
    while os.getppid() == parent:
        time.sleep(interval)
    server.shutdown()


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        app = build_app(args)
    except (OSError, ValueError, KeyError) as exc:
        print(f"ecs-emulator: {exc}", file=sys.stderr)
        return 2
    from .server import make_server

    try:
        server = make_server(app, args.host, args.port)
    except OSError as exc:
        print(f"ecs-emulator: cannot bind {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 2
    if args.tls_key and not args.tls_cert:
        print("ecs-emulator: --tls-key needs --tls-cert", file=sys.stderr)
        return 2
    if args.tls_cert:
        try:
            server.socket = tls_context(args.tls_cert, args.tls_key).wrap_socket(
                server.socket, server_side=True, do_handshake_on_connect=False
            )
        except (OSError, ssl.SSLError) as exc:
            print(f"ecs-emulator: cannot use --tls-cert {args.tls_cert}: {exc}", file=sys.stderr)
            return 2

    def stop(signum, frame):  # SIGTERM: stop serving, exit 0
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)  # before the banner: a client may stop us right after reading it
    if args.exit_with_parent:
        threading.Thread(target=watch_parent, args=(os.getppid(), server), daemon=True).start()
    host, port = server.server_address[:2]
    print_banner(host, port, "https" if args.tls_cert else "http")
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
