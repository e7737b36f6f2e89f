$newName = {{new_name}}
if ($null -ne $newName) {
    Rename-Computer -NewName $newName -Force -WarningAction SilentlyContinue | Out-Null
}
Set-ItemProperty -Path 'HKLM:\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters' -Name 'NV Domain' -Value {{dns_suffix}}
$result = @{ reboot_required = $true }
