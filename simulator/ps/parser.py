"""Parse a script with tree-sitter-powershell, after fixing what that grammar reads differently from PowerShell.

Two pre-passes: curly quotes (‘ ’ ‚ ‛ and “ ” „), which PowerShell accepts as string delimiters, become
ASCII quotes where they delimit strings; and bare words in command-argument lists
(``Select-Object Name, Thumbprint``), which the grammar rejects, are quoted when that is the only
reason the parse failed (likewise ``param()``/``switch`` line breaks and parentheses around ``1MB``
literals after an arithmetic operator). Syntax errors are reported the way PowerShell's parser reports them.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from typing import Any

import tree_sitter_powershell
from tree_sitter import Language, Node, Parser

SINGLE_QUOTES = "'\u2018\u2019\u201a\u201b"
DOUBLE_QUOTES = '"\u201c\u201d\u201e'
_LANGUAGE = Language(tree_sitter_powershell.language())


@dataclass
class ScriptSyntaxError(Exception):
    """A syntax error as PowerShell reports it (``ParseException``)."""

    message: str
    fqid: str
    offset: int
    length: int = 1


@dataclass
class Source:
    """The script as parsed, with the mapping back to the text the user sent."""

    original: str
    text: str
    inserted: list[int] = field(default_factory=list)  # offsets (in ``text``) of characters we inserted
    tree: Any = None

    def char_offset(self, node: Node) -> int:
        """Offset of a node's start in the parsed text (characters, not bytes)."""
        return len(self.text.encode("utf-8")[: node.start_byte].decode("utf-8", "replace"))

    def original_offset(self, offset: int) -> int:
        """Map an offset in the parsed text to the original script."""
        return offset - bisect.bisect_left(self.inserted, offset)

    def reads_input(self) -> bool:
        """The script names the automatic variable ``$input`` anywhere (code or expandable string)."""
        stack = [self.tree.root_node] if self.tree is not None else []
        while stack:
            node = stack.pop()
            if node.type in {"variable", "braced_variable"}:
                name = (node.text or b"").decode("utf-8", "replace").lower()
                if name in {"$input", "${input}"}:
                    return True
            stack.extend(node.children)
        return False

    def node_text(self, node: Node) -> str:
        """The node's source text."""
        return node.text.decode("utf-8") if node.text is not None else ""

    def position(self, node: Node) -> tuple[int, int, int]:
        """(offset, length) of a node in the original script plus its end offset."""
        start = self.original_offset(self.char_offset(node))
        end = self.original_offset(start + len(self.node_text(node)) + 0)
        return start, max(1, len(self.node_text(node))), end


# ----------------------------------------------------------------------------- scanning
@dataclass
class _Scan:
    text: str
    code_mask: list[bool]
    open_string: tuple[int, str] | None
    brace_error: tuple[str, int] | None


def _scan(script: str) -> _Scan:
    """Normalise curly quotes and find what is code (outside strings and comments)."""
    chars = list(script)
    mask = [True] * len(chars)
    i = 0
    n = len(chars)
    stack: list[tuple[str, int]] = []
    brace_error: tuple[str, int] | None = None
    while i < n:
        ch = chars[i]
        if ch == "#":
            end = script.find("\n", i)
            end = n if end == -1 else end
            for k in range(i, end):
                mask[k] = False
            i = end
            continue
        if ch == "<" and i + 1 < n and chars[i + 1] == "#":
            end = script.find("#>", i + 2)
            end = n if end == -1 else end + 2
            for k in range(i, end):
                mask[k] = False
            i = end
            continue
        if ch == "@" and i + 1 < n and (chars[i + 1] in SINGLE_QUOTES or chars[i + 1] in DOUBLE_QUOTES):
            quote = "'" if chars[i + 1] in SINGLE_QUOTES else '"'
            rest = script[i + 2 :]
            newline = re.match(r"[ \t]*\r?\n", rest)
            if newline:
                chars[i + 1] = quote
                closing = re.search(r"\n[ \t]*[" + (SINGLE_QUOTES if quote == "'" else DOUBLE_QUOTES) + "]@", rest)
                if not closing:
                    return _Scan("".join(chars), mask, (i, quote + "@"), brace_error)
                close_at = i + 2 + closing.end() - 2
                chars[close_at] = quote
                for k in range(i, close_at + 2):
                    mask[k] = False
                i = close_at + 2
                continue
        if ch in SINGLE_QUOTES or ch in DOUBLE_QUOTES:
            start = i
            string_close = _string_end(chars, i)
            if string_close is None:
                return _Scan("".join(chars), mask, (start, '"' if ch in DOUBLE_QUOTES else "'"), brace_error)
            for k in range(start, string_close + 1):
                mask[k] = False
            i = string_close + 1
            continue
        if ch in "{(":
            stack.append((ch, i))
        elif ch in "})":
            if stack and stack[-1][0] == ("{" if ch == "}" else "("):
                stack.pop()
            elif brace_error is None:
                brace_error = (ch, i)
        elif ch == "`" and i + 1 < n:
            i += 2
            continue
        i += 1
    if brace_error is None and stack:
        brace_error = stack[-1]
    return _Scan("".join(chars), mask, None, brace_error)


def _string_end(chars: list[str], start: int) -> int | None:
    """Index of the closing quote of the string opening at ``start`` (normalising delimiters)."""
    kind = SINGLE_QUOTES if chars[start] in SINGLE_QUOTES else DOUBLE_QUOTES
    ascii_quote = kind[0]
    chars[start] = ascii_quote
    i = start + 1
    n = len(chars)
    while i < n:
        ch = chars[i]
        if kind is DOUBLE_QUOTES and ch == "`":
            i += 2
            continue
        if ch in kind:
            if i + 1 < n and chars[i + 1] in kind:
                chars[i] = ascii_quote
                chars[i + 1] = ascii_quote
                i += 2
                continue
            chars[i] = ascii_quote
            return i
        i += 1
    return None


_BAREWORD = re.compile(r"[A-Za-z_][\w\-.\\:*?]*")
_KEYWORDS = {
    "in",
    "if",
    "else",
    "elseif",
    "foreach",
    "for",
    "while",
    "do",
    "until",
    "switch",
    "function",
    "param",
    "return",
    "throw",
    "try",
    "catch",
    "finally",
    "break",
    "continue",
    "exit",
    "true",
    "false",
    "null",
}


def _bracket_depths(text: str, mask: list[bool]) -> list[int]:
    depths = []
    depth = 0
    for ch, code in zip(text, mask, strict=True):
        if code and ch == "[":
            depth += 1
        elif code and ch == "]":
            depth = max(0, depth - 1)
        depths.append(depth)
    return depths


def _bareword_quotes(text: str, mask: list[bool]) -> list[tuple[int, str]]:
    """Quotes to insert around bare words next to a comma in code, e.g. ``Name, Thumbprint``."""
    inserts: list[tuple[int, str]] = []
    depths = _bracket_depths(text, mask)
    for match in _BAREWORD.finditer(text):
        start, end = match.span()
        if not all(mask[start:end]) or depths[start] > 0 or match.group(0).lower() in _KEYWORDS:
            continue
        before = text[:start].rstrip(" \t")
        after = text[end:].lstrip(" \t")
        prev = text[start - 1] if start else ""
        if prev in "$-.@[:" or prev.isalnum() or after.startswith(("(", "=", "::")):
            continue
        if before.endswith(",") or after.startswith(","):
            inserts += [(start, "'"), (end, "'")]
    return inserts


def _closing_paren(text: str, mask: list[bool], start: int) -> int | None:
    """The index of the ``)`` closing the code ``(`` at ``start`` (parentheses inside strings do not count)."""
    depth = 0
    for index in range(start, len(text)):
        if not mask[index]:
            continue
        if text[index] == "(":
            depth += 1
        elif text[index] == ")":
            depth -= 1
            if depth == 0:
                return index
    return None


def _param_breaks(text: str, mask: list[bool]) -> list[tuple[int, str]]:
    """Newlines after ``param(...)`` blocks followed by code on the same line (the grammar needs one)."""
    inserts: list[tuple[int, str]] = []
    for match in re.finditer(r"(?<![\w$-])param\s*\(", text, re.I):
        if not mask[match.start()]:
            continue
        close = _closing_paren(text, mask, match.end() - 1)
        if close is not None:
            rest = text[close + 1 :].split("\n", 1)[0].strip()
            if rest and not rest.startswith("#"):
                inserts.append((close + 1, "\n"))
    return inserts


def _switch_breaks(text: str, mask: list[bool]) -> list[tuple[int, str]]:
    """Newlines between switch clauses written on one line (PowerShell allows it, the grammar does not)."""
    inserts: list[tuple[int, str]] = []
    for match in re.finditer(r"(?<![\w$-])switch\b", text, re.I):
        if not mask[match.start()]:
            continue
        k = match.end()
        parens = 0
        while k < len(text) and not (mask[k] and text[k] == "{" and parens == 0):
            if mask[k] and text[k] == "(":
                parens += 1
            elif mask[k] and text[k] == ")":
                parens -= 1
            k += 1
        depth = 0
        for j in range(k, len(text)):
            if not mask[j]:
                continue
            if text[j] == "{":
                depth += 1
            elif text[j] == "}":
                depth -= 1
                if depth == 0:
                    break
                if depth == 1:
                    rest = text[j + 1 :].split("\n", 1)[0].strip()
                    if rest and not rest.startswith(("}", "#", ";")):
                        inserts.append((j + 1, "\n"))
    return inserts


def _multiplier_parens(text: str, mask: list[bool]) -> list[tuple[int, str]]:
    """Parentheses around ``1MB``-style literals after ``/ * % +`` (the grammar rejects ``$x / 1MB``)."""
    inserts: list[tuple[int, str]] = []
    for match in re.finditer(r"[/*%+]\s*(\d+(?:\.\d+)?(?:kb|mb|gb|tb|pb))(?![\w.])", text, re.I):
        start, end = match.span(1)
        if all(mask[match.start() : end]):
            inserts += [(start, "("), (end, ")")]
    return inserts


_MEMBER_NAME = re.compile(r"\.[A-Za-z_]\w*")
_VARIABLE = re.compile(r"\$[\w:]+")


def _call_chain_end(text: str, mask: list[bool], start: int) -> int | None:
    """End of ``(…).Call(…).Member…`` / ``$x.Call(…).Member…`` starting at ``start`` when a member follows a
    call's argument list (what the grammar cannot read as one command argument); else None."""
    if text[start] == "(":
        close = _closing_paren(text, mask, start)
        if close is None:
            return None
        end = close + 1
    else:
        variable = _VARIABLE.match(text, start)
        if variable is None:
            return None
        end = variable.end()
    called = member_after_call = False
    while end < len(text) and text[end] == "." and mask[end]:
        member = _MEMBER_NAME.match(text, end)
        if member is None:
            break
        end = member.end()
        member_after_call = member_after_call or called
        if end < len(text) and text[end] == "(" and mask[end]:
            close = _closing_paren(text, mask, end)
            if close is None:
                return None
            end, called = close + 1, True
    return end if member_after_call else None


def _call_chain_parens(text: str, mask: list[bool]) -> list[tuple[int, str]]:
    """Parentheses around a command argument such as ``(Get-Date).AddYears(5).Year`` (the grammar splits the
    call's argument list off and cannot continue after it); in expression mode the extra parentheses are
    harmless."""
    inserts: list[tuple[int, str]] = []
    index = 1
    while index < len(text):
        if mask[index] and text[index] in "($" and text[index - 1] in " \t":
            end = _call_chain_end(text, mask, index)
            if end is not None:
                inserts += [(index, "("), (end, ")")]
                index = end
                continue
        index += 1
    return inserts


def _apply(text: str, inserts: list[tuple[int, str]]) -> tuple[str, list[int]]:
    """Insert strings at offsets; returns the new text and the offsets (in it) of inserted characters."""
    out: list[str] = []
    inserted: list[int] = []
    last = 0
    length = 0
    for offset, piece in sorted(inserts, key=lambda item: item[0]):
        out.append(text[last:offset])
        length += offset - last
        for _ in piece:
            inserted.append(length)
            length += 1
        out.append(piece)
        last = offset
    out.append(text[last:])
    return "".join(out), inserted


# ----------------------------------------------------------------------------- errors
def _first_problem(node: Node) -> Node | None:
    if node.type == "ERROR" or node.is_missing:
        return node
    for child in node.children:
        if child.has_error or child.is_missing or child.type == "ERROR":
            found = _first_problem(child)
            if found is not None:
                return found
    return None


_MISSING_BODY = {
    "if": ("Missing statement block after if ( condition ).", "MissingStatementBlock"),
    "elseif": ("Missing statement block after elseif ( condition ).", "MissingStatementBlock"),
    "while": ("Missing statement body in while loop.", "MissingLoopStatement"),
    "for": ("Missing statement body in for loop.", "MissingLoopStatement"),
    "foreach": ("Missing statement body in foreach loop.", "MissingForeachStatement"),
}


def _known_mistake(code: str) -> ScriptSyntaxError | None:
    """PowerShell's specific messages for common syntax errors (``code`` has strings/comments blanked)."""
    empty_pipe = re.search(r"\|(?=\s*(?:\||;|\)|\}|$))", code)
    if empty_pipe:
        return ScriptSyntaxError("An empty pipe element is not allowed.", "EmptyPipeElement", empty_pipe.end())
    for match in re.finditer(r"(?<![\w$-])(elseif|if|while|foreach|for)\s*\(", code, re.I):
        depth = 0
        for k in range(match.end() - 1, len(code)):
            if code[k] == "(":
                depth += 1
            elif code[k] == ")":
                depth -= 1
                if depth == 0:
                    rest = code[k + 1 :].lstrip()
                    if not rest.startswith("{"):
                        message, fqid = _MISSING_BODY[match.group(1).lower()]
                        return ScriptSyntaxError(message, fqid, k + 1)
                    break
    no_value = re.search(r"(?<![=!<>-])[-+*/%]?=(?=\s*(?:;|$))", code)
    if no_value:
        return ScriptSyntaxError(
            f"You must provide a value expression following the '{no_value.group(0)}' operator.",
            "ExpectedValueExpression",
            no_value.end(),
        )
    return None


def _failure(scan: _Scan, tree: Any, script: str) -> ScriptSyntaxError:
    if scan.open_string is not None:
        offset, quote = scan.open_string
        return ScriptSyntaxError(
            f"The string is missing the terminator: {quote}.",
            "TerminatorExpectedAtEndOfString",
            offset,
            len(script.split("\n")[script.count("\n", 0, offset)]) - (offset - (script.rfind("\n", 0, offset) + 1)),
        )
    chain = re.search(r"&&|\|\|", "".join(c if m else " " for c, m in zip(scan.text, scan.code_mask, strict=True)))
    if chain:
        return ScriptSyntaxError(
            f"The token '{chain.group(0)}' is not a valid statement separator in this version.",
            "InvalidEndOfLine",
            chain.start(),
            2,
        )
    if scan.brace_error is not None:
        ch, offset = scan.brace_error
        if ch == "{":
            return ScriptSyntaxError(
                "Missing closing '}' in statement block or type definition.", "MissingEndCurlyBrace", offset
            )
        if ch == "(":
            return ScriptSyntaxError("Missing closing ')' in expression.", "MissingEndParenthesisInExpression", offset)
        return ScriptSyntaxError(f"Unexpected token '{ch}' in expression or statement.", "UnexpectedToken", offset)
    known = _known_mistake("".join(c if m else " " for c, m in zip(scan.text, scan.code_mask, strict=True)))
    if known is not None:
        return known
    problem = _first_problem(tree.root_node)
    if problem is None:
        return ScriptSyntaxError("Unexpected token in expression or statement.", "ParseException", 0)
    prefix = scan.text.encode("utf-8")[: problem.start_byte].decode("utf-8", "replace")
    offset = len(prefix)
    token = (problem.text or b"").decode("utf-8", "replace").strip().split()[:1]
    if problem.is_missing:
        return ScriptSyntaxError(f"Missing '{problem.type}' in statement.", "ParseException", offset)
    shown = token[0] if token else scan.text[offset : offset + 1]
    return ScriptSyntaxError(
        f"Unexpected token '{shown}' in expression or statement.",
        "UnexpectedToken",
        offset + (len(problem.text or b"") - len((problem.text or b"").lstrip())),
        max(1, len(shown)),
    )


def _find_type(node: Node, kind: str) -> Node | None:
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type == kind:
            return current
        stack.extend(reversed(current.children))
    return None


def parse(script: str) -> Source:
    """Parse a script.

    Raises:
        ScriptSyntaxError: the script has a syntax error (nothing of it may run).
    """
    scan = _scan(script)
    parser = Parser(_LANGUAGE)
    tree = parser.parse(scan.text.encode("utf-8"))
    chain = _find_type(tree.root_node, "pipeline_chain_tail")
    if chain is not None:
        token = (chain.text or b"&&").decode("utf-8").strip()[:2]
        offset = len(scan.text.encode("utf-8")[: chain.start_byte].decode("utf-8", "replace"))
        raise ScriptSyntaxError(
            f"The token '{token}' is not a valid statement separator in this version.", "InvalidEndOfLine", offset, 2
        )
    if scan.open_string is None and not tree.root_node.has_error:
        return Source(script, scan.text, [], tree)
    if scan.open_string is None and scan.brace_error is None:
        rewritten, inserted = _apply(
            scan.text,
            _bareword_quotes(scan.text, scan.code_mask)
            + _param_breaks(scan.text, scan.code_mask)
            + _switch_breaks(scan.text, scan.code_mask)
            + _multiplier_parens(scan.text, scan.code_mask)
            + _call_chain_parens(scan.text, scan.code_mask),
        )
        if inserted:
            retry = parser.parse(rewritten.encode("utf-8"))
            if not retry.root_node.has_error:
                return Source(script, rewritten, inserted, retry)
    raise _failure(scan, tree, script)
