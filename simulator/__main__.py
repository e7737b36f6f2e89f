"""Command line of the simulator: ``python -m simulator serve …`` and ``python -m simulator coverage``."""

from __future__ import annotations

import argparse
import sys


def build_parser() -> argparse.ArgumentParser:
    """The ``python -m simulator`` parser."""
    parser = argparse.ArgumentParser(prog="python -m simulator",
                                     description="A simulated Windows Server workgroup host, reachable over WinRM.")
    commands = parser.add_subparsers(dest="command", required=True)
    from simulator import server  # noqa: PLC0415 - keep --help fast

    serve = commands.add_parser("serve", help="run one simulated host until SIGTERM",
                                description="Run one simulated host (WinRM over HTTPS and HTTP, /_sim control "
                                "plane) until SIGTERM. Prints one line 'hvsim ready NAME URL' when it accepts "
                                "connections and writes STATE_DIR/host.json (mode 0600).")
    server.add_arguments(serve)
    coverage = commands.add_parser("coverage", help="regenerate SIMULATOR_COVERAGE.md",
                                   description="Regenerate SIMULATOR_COVERAGE.md from the cmdlet registry.")
    coverage.add_argument("--check", action="store_true", help="exit 1 if the file is stale instead of writing it")
    coverage.add_argument("--output", default="SIMULATOR_COVERAGE.md", help="file to write or check")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command; argparse exits 2 on bad flags."""
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        from simulator.server import serve  # noqa: PLC0415 - only the chosen command's imports

        return serve(args)
    from simulator.coverage import run  # noqa: PLC0415 - same

    return run(check=args.check, output=args.output)


if __name__ == "__main__":
    sys.exit(main())
