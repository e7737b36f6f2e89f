"""The core cmdlets the interpreter itself provides (Select-Object, ConvertTo-Json, Write-Output …) and .NET statics.

Importing this package registers them with :func:`simulator.ps.api.cmdlet`.
"""

from simulator.ps import dotnet  # noqa: F401 - registers [Convert]::…, [IO.File]::… and friends
from simulator.ps.builtins import (  # noqa: F401 - register their cmdlets
    format,
    introspection,
    json,
    output,
    pipeline,
    utility,
)
