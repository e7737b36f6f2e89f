$key = 'HKLM:\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters'
$cs = Get-CimInstance -ClassName Win32_ComputerSystem
$result = @{
    name = [string]$cs.Name
    domain = [string](Get-ItemPropertyValue -Path $key -Name 'Domain')
}
