"""The PowerShell layer: parse with tree-sitter-powershell, execute a documented subset over host state.

Entry point: :func:`simulator.ps.runner.run_script` (used by the cmd.exe layer for
``powershell -encodedcommand …``). Cmdlets register themselves with :func:`simulator.ps.api.cmdlet`.
"""
