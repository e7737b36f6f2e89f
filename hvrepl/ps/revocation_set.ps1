$key = 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Virtualization\Replication'
if (-not (Test-Path -Path $key)) { New-Item -Path $key -Force | Out-Null }
New-ItemProperty -Path $key -Name 'DisableCertRevocationCheck' -PropertyType DWord -Value 1 -Force | Out-Null
$result = @{ value = 1 }
