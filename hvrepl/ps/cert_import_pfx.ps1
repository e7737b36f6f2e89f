$path = {{path}}
try {
    $password = ConvertTo-SecureString -String $HvreplStdin[0] -AsPlainText -Force
    $certs = @(Import-PfxCertificate -FilePath $path -CertStoreLocation Cert:\LocalMachine\My -Password $password)
    $result = @{ thumbprints = @($certs | ForEach-Object { [string]$_.Thumbprint }) }
} finally {
    if (Test-Path -Path $path) { Remove-Item -Path $path -Force }
}
