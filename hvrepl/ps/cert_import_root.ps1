$path = {{path}}
try {
    $certs = @(Import-Certificate -FilePath $path -CertStoreLocation Cert:\LocalMachine\Root)
    $result = @{ thumbprints = @($certs | ForEach-Object { [string]$_.Thumbprint }) }
} finally {
    if (Test-Path -Path $path) { Remove-Item -Path $path -Force }
}
