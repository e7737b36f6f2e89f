$path = 'Cert:\LocalMachine\My\' + {{thumbprint}}
if (Test-Path -Path $path) { Remove-Item -Path $path }
$result = @{ removed = $true }
