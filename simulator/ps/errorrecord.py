"""ErrorRecords: what ``$_`` is in a catch block, how PowerShell prints an error, and the CLIXML on stderr.

powershell.exe with redirected stderr (as under WinRS) writes each error as CLIXML lines of the
normal error view; pywinrm's ``_clean_error_msg`` turns that back into readable text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from simulator.core.errors import SimError
from simulator.ps.objects import PSEnum, PSObject

CLIXML_HEADER = '#< CLIXML\r\n<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04">'
CLIXML_FOOTER = "</Objs>"

# ASSUMPTION: exceptions without an explicit HRESULT carry .NET's defaults for their base class.
_DEFAULT_HRESULTS = {
    "System.Exception": 0x80131500,
    "System.Management.Automation.RuntimeException": 0x80131501,
    "System.Management.Automation.ParameterBindingException": 0x80131501,
    "System.Management.Automation.CommandNotFoundException": 0x80131501,
    "System.Management.Automation.ParseException": 0x80131501,
    "System.NotImplementedException": 0x80004001,
    "System.ArgumentException": 0x80070057,
    "System.Management.Automation.ItemNotFoundException": 0x80131501,
}


@dataclass
class Position:
    """Where in the script an error happened (for ``At line:L char:C`` and the underline)."""

    line: int
    column: int
    line_text: str
    length: int

    @classmethod
    def at(cls, script: str, offset: int, length: int) -> Position:
        """Position of ``offset`` (characters) in ``script``; the underline stops at the line end."""
        offset = max(0, min(offset, len(script)))
        line_start = script.rfind("\n", 0, offset) + 1
        line_end = script.find("\n", offset)
        line_end = len(script) if line_end == -1 else line_end
        line_text = script[line_start:line_end].rstrip("\r")
        column = offset - line_start + 1
        return cls(
            script.count("\n", 0, offset) + 1, column, line_text, max(1, min(length, len(line_text) - column + 1))
        )


ERROR_CATEGORIES = (
    "NotSpecified",
    "OpenError",
    "CloseError",
    "DeviceError",
    "DeadlockDetected",
    "InvalidArgument",
    "InvalidData",
    "InvalidOperation",
    "InvalidResult",
    "InvalidType",
    "MetadataError",
    "NotImplemented",
    "NotInstalled",
    "ObjectNotFound",
    "OperationStopped",
    "OperationTimeout",
    "SyntaxError",
    "ParserError",
    "PermissionDenied",
    "ResourceBusy",
    "ResourceExists",
    "ResourceUnavailable",
    "ReadError",
    "WriteError",
    "FromStdErr",
    "SecurityError",
    "ProtocolError",
    "ConnectionError",
    "AuthenticationError",
    "LimitsExceeded",
    "QuotaExceeded",
    "NotEnabled",
)


def _category(name: str) -> PSEnum | str:
    """``System.Management.Automation.ErrorCategory`` (an enum: an integer in ConvertTo-Json, as on Windows)."""
    for value, known in enumerate(ERROR_CATEGORIES):
        if known.lower() == name.lower():
            return PSEnum("System.Management.Automation.ErrorCategory", known, value)
    return name


def signed32(value: int) -> int:
    """An HRESULT as .NET's signed Int32 ``HResult``."""
    value &= 0xFFFFFFFF
    return value - 0x1_0000_0000 if value & 0x8000_0000 else value


def _short_type(name: str) -> str:
    return name.rsplit(".", 1)[-1]


class ErrorRecord(PSObject):
    """``System.Management.Automation.ErrorRecord`` built from a SimError and where it happened."""

    def __init__(
        self,
        error: SimError,
        position: Position | None = None,
        command: str = "",
        target_object: Any = None,
        parse_error: bool = False,
    ) -> None:
        self.error = error
        self.position = position
        self.command = command
        self.parse_error = parse_error
        hresult = (
            error.hresult if error.hresult is not None else _DEFAULT_HRESULTS.get(error.exception_type, 0x80131500)
        )
        exception = PSObject(
            [error.exception_type, "System.Exception", "System.Object"],
            {
                "Message": error.message,
                "HResult": signed32(hresult),
                "InnerException": None,
                "Source": "System.Management.Automation",
                "Data": {},
            },
            to_string=f"{error.exception_type}: {error.message}",
        )
        target = target_object if target_object is not None else error.target
        category_info = PSObject(
            "System.Management.Automation.ErrorCategoryInfo",
            {
                "Category": _category(error.category),
                "Activity": command,
                "Reason": _short_type(error.exception_type),
                "TargetName": "" if target is None else str(target),
                "TargetType": "String" if target is not None else "",
            },
            to_string=self.category_line(),
        )
        super().__init__(
            ["System.Management.Automation.ErrorRecord", "System.Object"],
            {
                "Exception": exception,
                "TargetObject": target,
                "CategoryInfo": category_info,
                "FullyQualifiedErrorId": error.fully_qualified_error_id,
                "ErrorDetails": None,
                "InvocationInfo": PSObject(
                    "System.Management.Automation.InvocationInfo",
                    {
                        "MyCommand": command,
                        "ScriptLineNumber": position.line if position else 0,
                        "OffsetInLine": position.column if position else 0,
                        "Line": position.line_text if position else "",
                        "PositionMessage": "\n".join(self._position_lines()),
                    },
                ),
                "ScriptStackTrace": "at <ScriptBlock>, <No file>: line " + str(position.line if position else 1),
                "PipelineIterationInfo": [],
            },
            to_string=error.message,
        )

    def category_line(self) -> str:
        """``ObjectNotFound: (C:\\nope:String) [Get-Item], ItemNotFoundException``."""
        error = self.error
        target = "" if error.target is None else str(error.target)
        target_type = "String" if error.target is not None else ""
        return (
            f"{error.category}: ({target}:{target_type}) [{self.command}], "
            f"{'ParentContainsErrorRecordException' if self.parse_error else _short_type(error.exception_type)}"
        )

    def view_lines(self) -> list[str]:
        """The normal error view, line by line, as powershell.exe prints it."""
        lines: list[str] = []
        if self.parse_error:
            lines += self._position_lines()
            lines.append(self.error.message)
        else:
            prefix = f"{self.command} : " if self.command else ""
            lines.append(prefix + self.error.message)
            lines += self._position_lines()
        lines.append(f"    + CategoryInfo          : {self.category_line()}")
        lines.append(f"    + FullyQualifiedErrorId : {self.error.fully_qualified_error_id}")
        lines.append(" ")
        return lines

    def _position_lines(self) -> list[str]:
        if self.position is None:
            return []
        pos = self.position
        return [
            f"At line:{pos.line} char:{pos.column}",
            f"+ {pos.line_text}",
            "+ " + " " * (pos.column - 1) + "~" * pos.length,
        ]


def _clixml_text(text: str) -> str:
    text = re.sub(r"_(x[0-9A-Fa-f]{4}_)", r"_x005F_\1", text)
    text = escape(text)
    return "".join(ch if ch >= " " or ch == "" else f"_x{ord(ch):04X}_" for ch in text)


PROGRESS_RECORD = (
    '<Obj S="progress" RefId="0"><TN RefId="0"><T>System.Management.Automation.PSCustomObject</T>'
    '<T>System.Object</T></TN><MS><I64 N="SourceId">1</I64><PR N="Record"><AV>Preparing modules for first use.</AV>'
    "<AI>0</AI><Nil /><PI>-1</PI><PC>-1</PC><T>Completed</T><SR>-1</SR><SD> </SD></PR></MS></Obj>"
)


def clixml(
    errors: list[ErrorRecord], warnings: list[str], verbose: list[str] | None = None, progress: bool = False
) -> str:
    """The stderr text powershell.exe writes for these records (empty when there is nothing).

    ``progress`` adds the "Preparing modules for first use." progress record a 5.1 session writes when
    it loads a module, even when the command then succeeds (fact sheet §11).
    """
    parts: list[str] = [PROGRESS_RECORD] if progress else []
    for text in verbose or []:
        parts.append(f'<S S="verbose">{_clixml_text(text + chr(13) + chr(10))}</S>')
    for text in warnings:
        parts.append(f'<S S="warning">{_clixml_text(text + chr(13) + chr(10))}</S>')
    for record in errors:
        for line in record.view_lines():
            parts.append(f'<S S="Error">{_clixml_text(line + chr(13) + chr(10))}</S>')
    if not parts:
        return ""
    return CLIXML_HEADER + "".join(parts) + CLIXML_FOOTER
