"""Transports: how a PowerShell script reaches a host. WinRM (pywinrm) for lab and real hosts alike."""

from hvrepl.transport.base import CountingTransport, PSResult, Transport

__all__ = ["CountingTransport", "PSResult", "Transport"]
