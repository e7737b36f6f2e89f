$path = {{path}}
try {
    if ($HvreplStdin.Count -lt 1 -or -not $HvreplStdin[0]) { throw 'hvrepl: the PFX password was not received on stdin' }
    $password = ConvertTo-SecureString -String $HvreplStdin[0] -AsPlainText -Force
    $certs = @(Import-PfxCertificate -FilePath $path -CertStoreLocation Cert:\LocalMachine\My -Password $password)
    $result = @{ thumbprints = @($certs | ForEach-Object { [string]$_.Thumbprint }) }
} finally {
    if (Test-Path -Path $path) { Remove-Item -Path $path -Force }
}
