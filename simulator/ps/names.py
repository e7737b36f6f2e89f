"""Command names PowerShell knows: built-in aliases, approved verbs, and common Windows programs.

Used to tell "a real Windows command the simulator does not model" (NotModelledError) from "a
name Windows would not recognise either" (CommandNotFoundException).
"""

from __future__ import annotations

ALIASES = {
    "?": "Where-Object", "where": "Where-Object", "%": "ForEach-Object", "foreach": "ForEach-Object",
    "select": "Select-Object", "sort": "Sort-Object", "measure": "Measure-Object", "group": "Group-Object",
    "echo": "Write-Output", "write": "Write-Output", "gci": "Get-ChildItem", "ls": "Get-ChildItem",
    "dir": "Get-ChildItem", "gi": "Get-Item", "gp": "Get-ItemProperty", "sp": "Set-ItemProperty",
    "cd": "Set-Location", "sl": "Set-Location", "chdir": "Set-Location", "pwd": "Get-Location",
    "gl": "Get-Location", "cat": "Get-Content", "type": "Get-Content", "gc": "Get-Content", "sc": "Set-Content",
    "ac": "Add-Content", "del": "Remove-Item", "rm": "Remove-Item", "erase": "Remove-Item", "ri": "Remove-Item",
    "rd": "Remove-Item", "rmdir": "Remove-Item", "copy": "Copy-Item", "cp": "Copy-Item", "cpi": "Copy-Item",
    "move": "Move-Item", "mv": "Move-Item", "mi": "Move-Item", "ni": "New-Item", "sleep": "Start-Sleep",
    "iex": "Invoke-Expression", "ft": "Format-Table", "fl": "Format-List", "fw": "Format-Wide",
    "oh": "Out-Host", "gm": "Get-Member", "gps": "Get-Process", "ps": "Get-Process", "gsv": "Get-Service",
    "gcm": "Get-Command", "tee": "Tee-Object", "icm": "Invoke-Command", "ipmo": "Import-Module",
    "gv": "Get-Variable", "sv": "Set-Variable", "set": "Set-Variable", "rv": "Remove-Variable",
    "gdr": "Get-PSDrive", "rvpa": "Resolve-Path", "rni": "Rename-Item", "ren": "Rename-Item", "si": "Set-Item",
    "cli": "Clear-Item", "ii": "Invoke-Item", "clc": "Clear-Content", "cls": "Clear-Host", "clear": "Clear-Host",
    "h": "Get-History", "history": "Get-History", "kill": "Stop-Process", "spps": "Stop-Process",
    "saps": "Start-Process", "start": "Start-Process", "gwmi": "Get-WmiObject", "gcim": "Get-CimInstance",
    "irm": "Invoke-RestMethod", "iwr": "Invoke-WebRequest", "curl": "Invoke-WebRequest", "wget": "Invoke-WebRequest",
    "nal": "New-Alias", "sal": "Set-Alias", "gal": "Get-Alias", "epcsv": "Export-Csv", "ipcsv": "Import-Csv",
    "compare": "Compare-Object", "diff": "Compare-Object", "tee-object": "Tee-Object", "ogv": "Out-GridView",
    "nv": "New-Variable", "dbp": "Disable-PSBreakpoint", "gjb": "Get-Job", "rcjb": "Receive-Job",
    "sajb": "Start-Job", "gu": "Get-Unique", "shcm": "Show-Command", "trcm": "Trace-Command",
}

APPROVED_VERBS = frozenset(v.lower() for v in (
    "Add", "Approve", "Assert", "Backup", "Block", "Build", "Checkpoint", "Clear", "Close", "Compare", "Complete",
    "Compress", "Confirm", "Connect", "Convert", "ConvertFrom", "ConvertTo", "Copy", "Debug", "Deny", "Deploy",
    "Disable", "Disconnect", "Dismount", "Edit", "Enable", "Enter", "Exit", "Expand", "Export", "Find", "Format",
    "Get", "Grant", "Group", "Hide", "Import", "Initialize", "Install", "Invoke", "Join", "Limit", "Lock",
    "Measure", "Merge", "Mount", "Move", "New", "Open", "Optimize", "Out", "Ping", "Pop", "Protect", "Publish",
    "Push", "Read", "Receive", "Redo", "Register", "Remove", "Rename", "Repair", "Request", "Reset", "Resize",
    "Resolve", "Restart", "Restore", "Resume", "Revoke", "Save", "Search", "Select", "Send", "Set", "Show", "Skip",
    "Split", "Start", "Step", "Stop", "Submit", "Suspend", "Switch", "Sync", "Test", "Trace", "Unblock", "Undo",
    "Uninstall", "Unlock", "Unprotect", "Unpublish", "Unregister", "Update", "Use", "Wait", "Watch", "Where",
    "Write", "ForEach", "Sort", "Tee"))

WINDOWS_PROGRAMS = frozenset({
    "certutil", "schtasks", "sc", "net", "whoami", "ping", "tracert", "nslookup", "wmic", "bcdedit", "shutdown",
    "robocopy", "xcopy", "icacls", "takeown", "dism", "sfc", "chkdsk", "diskpart", "gpupdate", "winrm", "wevtutil",
    "systeminfo", "tasklist", "taskkill", "route", "arp", "netstat", "powershell", "cmd", "certreq", "setspn",
    "klist", "w32tm", "vssadmin", "wbadmin", "fsutil", "mountvol", "attrib", "cacls", "where", "timeout",
    "choice", "more", "sort", "findstr", "tzutil", "quser", "query", "logoff", "msiexec", "regedit", "mmc",
})


def is_real_command(name: str) -> bool:
    """Whether Windows would know the command (approved-verb cmdlet name, alias, or common program)."""
    lowered = name.lower().rsplit("\\", 1)[-1]
    if lowered.endswith(".exe"):
        lowered = lowered[:-4]
    if lowered in WINDOWS_PROGRAMS or lowered in ALIASES:
        return True
    verb, dash, noun = lowered.partition("-")
    return bool(dash) and verb in APPROVED_VERBS and noun.isidentifier()
