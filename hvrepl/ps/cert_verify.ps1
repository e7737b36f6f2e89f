$c = Get-Item -Path ('Cert:\LocalMachine\My\' + {{thumbprint}})
$result = @{ has_key = [bool]$c.HasPrivateKey; subject = [string]$c.Subject
    eku = @($c.EnhancedKeyUsageList | ForEach-Object { [string]$_.ObjectId })
    issuer_trusted = @(Get-ChildItem -Path Cert:\LocalMachine\Root | Where-Object { $_.Subject -eq $c.Issuer }).Count }
