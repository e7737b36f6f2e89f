$path = 'Cert:\LocalMachine\My\' + {{thumbprint}}
if (Test-Path -Path $path) { Remove-Item -Path $path -DeleteKey }  # the private key too: 5.1 leaves it otherwise
$result = @{ removed = $true }
