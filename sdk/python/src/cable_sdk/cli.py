"""The command line: ``python -m cable_sdk publish --target HOST:PORT --stream S --data D``.

Exits 0 once the server accepted the broadcast; otherwise prints one line on
stderr and exits 1 (the call failed) or 2 (bad arguments or files).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from .client import Publisher
from .errors import CableError
from .options import DEFAULT_TIMEOUT, TLS

PROG = "python -m cable_sdk"


class _Parser(argparse.ArgumentParser):
    """argparse, but usage errors are one line on stderr, like every other failure."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="Publish to a Cable server through its gRPC Publisher API.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    publish = commands.add_parser(
        "publish", help="broadcast one message to a stream",
        description="Broadcast DATA to STREAM. DATA is sent as is: valid JSON arrives as that "
                    "JSON value, anything else as a JSON string.")
    publish.add_argument("--target", required=True, help="the server's gRPC address, HOST:PORT")
    publish.add_argument("--stream", required=True, help="the stream to broadcast to")
    publish.add_argument("--data", required=True, help="the message")
    publish.add_argument("--api-key", default=os.environ.get("CABLE_API_KEY"),
                         help="sent as 'authorization: Bearer KEY' (default: $CABLE_API_KEY)")
    publish.add_argument("--ca", metavar="FILE",
                         help="use TLS, trusting this PEM CA bundle (default: plaintext)")
    publish.add_argument("--cert", metavar="FILE", help="TLS client certificate chain (PEM)")
    publish.add_argument("--key", metavar="FILE", help="TLS client private key (PEM)")
    publish.add_argument("--tls", action="store_true",
                         help="use TLS with the system's root certificates")
    publish.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                         help=f"deadline for the call, retries included (default {DEFAULT_TIMEOUT:g})")
    return parser


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _publish(args: argparse.Namespace) -> int:
    tls = None
    if args.ca or args.cert or args.key or args.tls:
        tls = TLS.from_files(ca=args.ca, cert=args.cert, key=args.key)
    with Publisher(args.target, api_key=args.api_key or None, tls=tls,
                   timeout=args.timeout) as publisher:
        result = publisher.broadcast(args.stream, args.data)
    print(f"accepted {result.accepted}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        return _publish(args)
    except CableError as e:
        print(f"{PROG} {args.command}: {_one_line(str(e))}", file=sys.stderr)
        return 1
    except (OSError, ValueError) as e:
        print(f"{PROG} {args.command}: {_one_line(str(e))}", file=sys.stderr)
        return 2
