"""Step: hosts-file entries for both FQDNs on each host (no duplicates, wrong addresses fixed, rest kept)."""

from __future__ import annotations

import re
from typing import Any

from hvrepl.session import Script
from hvrepl.steps.base import Diff, RunContext, Step
from hvrepl.transfer import push_file

# ASSUMPTION: %SystemRoot% is C:\Windows, as on every standard Server 2016 installation.
HOSTS_PATH = r"C:\Windows\System32\drivers\etc\hosts"
MARK = "# added by hvrepl"
INLINE_LIMIT = 1500  # characters of hosts text sent inside one script; bigger files go in chunks


def file_lines(text: str) -> list[str]:
    """The lines as Windows reads the file: ended by LF (CR LF), not by U+0085, U+2028 or the other breaks
    str.splitlines() knows, so a comment holding one is kept byte for byte."""
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    return lines[:-1] if lines and lines[-1] == "" else lines


def parse_entries(text: str) -> list[tuple[str, list[str]]]:
    """(address, names) of every non-comment line."""
    entries = []
    for line in file_lines(text):
        body = line.split("#", 1)[0].split()
        if len(body) >= 2:
            entries.append((body[0], [n.lower() for n in body[1:]]))
    return entries


def desired_hosts_text(text: str, wanted: dict[str, str]) -> str:
    """Pure: ``text`` with each name in ``wanted`` (fqdn -> address) on exactly one correct line.

    Lines and comments that do not mention the names are kept byte for byte; a name on a wrong line is
    removed from it (the line is dropped when no name is left); missing entries are appended.
    """
    wanted = {k.lower(): v for k, v in wanted.items()}
    newline = "\r\n" if "\r\n" in text or not text else "\n"
    satisfied: set[str] = set()
    out: list[str] = []
    for line in file_lines(text):
        body, sep, comment = line.partition("#")
        tokens = body.split()
        if len(tokens) < 2 or not any(t.lower() in wanted for t in tokens[1:]):
            out.append(line)
            continue
        address, names = tokens[0], tokens[1:]
        kept = []
        for name in names:
            key = name.lower()
            if key in wanted and (wanted[key] != address or key in satisfied):
                continue
            if key in wanted:
                satisfied.add(key)
            kept.append(name)
        if kept == names:
            out.append(line)
        elif kept:
            out.append(re.sub(r"\s+$", "", f"{address}\t{' '.join(kept)}" + (f"  {sep}{comment}" if sep else "")))
    for name, address in wanted.items():
        if name not in satisfied:
            out.append(f"{address}\t{name}\t{MARK}")
    return newline.join(out) + newline


class HostsFile(Step):
    """Both plan hosts' FQDNs resolve through this host's hosts file."""

    name = "hosts_file"

    def wanted(self, ctx: RunContext) -> dict[str, str]:
        """fqdn -> address for both hosts of the plan."""
        return {h.fqdn: h.address for h in ctx.plan.hosts()}

    def check(self, ctx: RunContext) -> str:
        """The hosts file's text."""
        return str(ctx.session(self.host).call("hosts_get", path=HOSTS_PATH)["text"] or "")

    def plan(self, ctx: RunContext, observed: str) -> Diff | None:
        """The rewritten text, or None when every name already has exactly one right line."""
        new = desired_hosts_text(observed, self.wanted(ctx))
        if new.replace("\r\n", "\n").rstrip("\n") == observed.replace("\r\n", "\n").rstrip("\n"):
            return None
        before = {n: [a for a, names in parse_entries(observed) if n in names] for n in self.wanted(ctx)}
        diff = Diff(before={"entries": before}, after={"entries": self.wanted(ctx)})
        if len(new) <= INLINE_LIMIT:
            diff.scripts.append(Script.build("hosts_set", path=HOSTS_PATH, text=new))
        else:
            # ASSUMPTION: the hosts file is ASCII (Windows' default file is); written back as UTF-8 bytes.
            diff.payload = new.encode("utf-8")
            diff.notes.append(f"the new hosts file ({len(new)} characters) is sent in chunks")
        return diff

    def apply(self, ctx: RunContext, diff: Diff) -> None:
        """Write the file: inline when small, in chunks otherwise."""
        if diff.payload is not None:
            push_file(ctx.session(self.host), HOSTS_PATH, diff.payload)
            return
        super().apply(ctx, diff)

    def verify(self, ctx: RunContext) -> None:
        """Re-read with Get-Content; each FQDN must appear on exactly one line, with its address."""
        lines: Any = ctx.session(self.host).call("hosts_verify", path=HOSTS_PATH)["lines"]
        entries = parse_entries("\n".join(lines if isinstance(lines, list) else [lines]))
        for name, address in self.wanted(ctx).items():
            found = [a for a, names in entries if name in names]
            if found != [address]:
                raise self.drift(f"hosts file maps {name} to {found or 'nothing'}, expected [{address}]")
