$path = {{path}}
try {
    if ($HvreplStdin.Count -lt 1 -or -not $HvreplStdin[0]) { throw 'hvrepl: the PFX password was not received on stdin' }
    $password = ConvertTo-SecureString -String $HvreplStdin[0] -AsPlainText -Force
    $cert = Get-Item -Path ('Cert:\LocalMachine\My\' + {{thumbprint}})
    Export-PfxCertificate -Cert $cert -FilePath $path -ChainOption EndEntityCertOnly -Password $password | Out-Null
    $result = @{ data = [Convert]::ToBase64String([IO.File]::ReadAllBytes($path)) }
} finally {
    if (Test-Path -Path $path) { Remove-Item -Path $path -Force }
}
