$p = Get-ItemProperty -Path 'HKLM:\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters'
$result = @{
    hostname = [string]$p.Hostname
    domain = [string]$p.Domain
    nv_hostname = [string]$p.'NV Hostname'
    nv_domain = [string]$p.'NV Domain'
}
