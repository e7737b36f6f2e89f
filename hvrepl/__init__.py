"""hvrepl: set up Hyper-V Replica between Windows workgroup hosts from one plan, over WinRM."""

from hvrepl.engine import RunReport, StepResult, run_steps
from hvrepl.errors import ConfigError, HvreplError, PowerShellError, StepError, TransportError
from hvrepl.plan import Plan, load_plan, parse_plan
from hvrepl.secrets import Secret
from hvrepl.steps import RunContext, build_steps

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "HvreplError",
    "Plan",
    "PowerShellError",
    "RunContext",
    "RunReport",
    "Secret",
    "StepError",
    "StepResult",
    "TransportError",
    "build_steps",
    "load_plan",
    "parse_plan",
    "run_steps",
]
