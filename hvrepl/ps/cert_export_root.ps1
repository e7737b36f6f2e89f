$path = {{path}}
try {
    $cert = @(Get-ChildItem -Path Cert:\LocalMachine\Root | Where-Object { $_.Subject -eq {{subject}} })[0]
    Export-Certificate -Cert $cert -FilePath $path -Type CERT | Out-Null
    $result = @{ data = [Convert]::ToBase64String([IO.File]::ReadAllBytes($path)) }
} finally {
    if (Test-Path -Path $path) { Remove-Item -Path $path -Force }
}
