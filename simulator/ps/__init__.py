"""The PowerShell layer: parse with tree-sitter-powershell, execute a documented subset over host state.

Entry point: :func:`simulator.ps.runner.run_script` (used by the cmd.exe layer for
``powershell -encodedcommand …``). Cmdlets register themselves with :func:`simulator.ps.api.cmdlet`.

Module map:

- ``api``, ``objects``: the contract with the subsystems (cmdlet registry, providers, statics; values).
- ``parser``: curly-quote and grammar pre-passes, PowerShell's syntax error messages.
- ``interpreter`` (state, variables, error model) with its mixins ``statements``, ``expressions``,
  ``access`` (members, methods, assignment), ``commands`` (pipelines, dispatch), ``scriptblocks``
  (functions, ``param()``), and ``session`` (what a cmdlet handler sees, redirection); ``flow`` holds
  the control-flow signals.
- ``binder``: parameter binding with PowerShell's messages; ``names``: aliases and known commands.
- ``values``, ``operators``, ``members``, ``dates``, ``dotnet``: PowerShell/.NET value semantics.
- ``errorrecord``, ``formatting``: ErrorRecords, CLIXML on stderr, Out-Default text.
- ``builtins``: the interpreter's own cmdlets (Select-Object, ConvertTo-Json, Write-*, Get-Date …).
"""
