"""The simulator's one error type, carrying what Windows would report.

Every modelled failure is raised as :class:`SimError` with the identifiers a real host gives
(FullyQualifiedErrorId, category, HRESULT). The PowerShell layer turns it into an ErrorRecord
(CLIXML on stderr) and the WS-Management layer into a WSManFault, so the engine decodes simulated
and real failures with the same code.

Tree::

    SimError
    ├── NotModelledError      a real Windows feature the simulator does not implement
    └── ParameterBindingError a cmdlet was called with parameters Windows would refuse
"""

from __future__ import annotations


class SimError(Exception):
    """A failure as Windows reports it.

    Args:
        message: the text Windows shows (``$_.Exception.Message``).
        fully_qualified_error_id: e.g. ``"CannotConvertArgumentNoMessage,Microsoft.HyperV.PowerShell..."``.
        category: the ErrorCategory name (``InvalidArgument``, ``ObjectNotFound``, ``InvalidOperation`` …).
        hresult: the HRESULT as an unsigned 32-bit int, when Windows has one.
        target: the target object's text (``TargetObject``), optional.
        exception_type: the .NET exception type name shown in the ErrorRecord.
        terminating: whether a cmdlet raising it ends the pipeline (ThrowTerminatingError) or only
            writes a non-terminating error (WriteError), which ``$ErrorActionPreference='Stop'`` or
            ``-ErrorAction Stop`` turn into a terminating one.
    """

    def __init__(
        self,
        message: str,
        fully_qualified_error_id: str = "SimulatedError",
        category: str = "NotSpecified",
        *,
        hresult: int | None = None,
        target: str | None = None,
        exception_type: str = "System.Exception",
        terminating: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.fully_qualified_error_id = fully_qualified_error_id
        self.category = category
        self.hresult = None if hresult is None else hresult & 0xFFFFFFFF
        self.target = target
        self.exception_type = exception_type
        self.terminating = terminating

    @property
    def hresult_hex(self) -> str | None:
        """The HRESULT as Windows prints it, ``0x%08X``."""
        return None if self.hresult is None else f"0x{self.hresult:08X}"


class NotModelledError(SimError):
    """A construct, cmdlet or parameter that exists on Windows but is not modelled here.

    Always loud: the message starts with ``not modelled by the simulator:`` and names the thing.
    """

    def __init__(self, what: str) -> None:
        super().__init__(
            f"not modelled by the simulator: {what}",
            "NotModelledBySimulator",
            "NotImplemented",
            exception_type="System.NotImplementedException",
            terminating=True,
        )


class ParameterBindingError(SimError):
    """Parameter binding failed, as PowerShell's binder reports it (always terminating)."""

    def __init__(self, message: str, fully_qualified_error_id: str, category: str = "InvalidArgument") -> None:
        super().__init__(
            message,
            fully_qualified_error_id,
            category,
            exception_type="System.Management.Automation.ParameterBindingException",
            terminating=True,
        )


def prompt_refused(command_class: str, path: str, question: str) -> SimError:
    """What a cmdlet that would ask for confirmation gives in a WinRM session (powershell -NonInteractive).

    ``command_class`` is the cmdlet's .NET class; ``question`` the reason Windows would ask, e.g. "The item
    at C:\\x has children and the Recurse parameter was not specified.".
    """
    # ASSUMPTION: over WinRM the prompt cannot be shown, so the cmdlet fails as PowerShell does in
    # NonInteractive mode, with the question in parentheses.
    return SimError(
        f"Windows PowerShell is in NonInteractive mode. Read and Prompt functionality is not available. ({question})",
        f"System.Management.Automation.PSInvalidOperationException,{command_class}",
        "InvalidOperation",
        exception_type="System.Management.Automation.PSInvalidOperationException",
        target=path,
    )
