$key = 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Virtualization\Replication'
$result = @{ value = [int](Get-ItemPropertyValue -Path $key -Name 'DisableCertRevocationCheck') }
