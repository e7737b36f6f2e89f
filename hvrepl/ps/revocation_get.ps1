$key = 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Virtualization\Replication'
$value = $null
if (Test-Path -Path $key) { $value = (Get-ItemProperty -Path $key).DisableCertRevocationCheck }
$result = @{ value = $value }
