"""hvrepl: set up Hyper-V Replica between Windows workgroup hosts from one plan, over WinRM."""

__version__ = "0.1.0"
