$names = {{names}}
$thumbprints = {{thumbprints}}
$my = @()
foreach ($c in @(Get-ChildItem -Path Cert:\LocalMachine\My)) {
    $dns = @($c.DnsNameList | ForEach-Object { ([string]$_.Unicode).ToLower() })
    if (@($dns | Where-Object { $names -contains $_ }).Count -eq 0 -and $thumbprints -notcontains $c.Thumbprint) { continue }
    $my += @{ thumbprint = [string]$c.Thumbprint; subject = [string]$c.Subject; issuer = [string]$c.Issuer
        dns = $dns; eku = @($c.EnhancedKeyUsageList | ForEach-Object { [string]$_.ObjectId })
        has_key = [bool]$c.HasPrivateKey; not_after = $c.NotAfter.ToUniversalTime().ToString('o') }
}
$root = @(Get-ChildItem -Path Cert:\LocalMachine\Root | ForEach-Object { [string]$_.Subject })
$ca = @(Get-ChildItem -Path Cert:\LocalMachine\CA | ForEach-Object { [string]$_.Subject })
# Temporary files of an interrupted run (a PFX among them holds a private key).
$temp = @(Get-ChildItem -Path {{temp_folder}} -Filter {{temp_pattern}} -ErrorAction SilentlyContinue | ForEach-Object { [string]$_.Name })
$result = @{ now = (Get-Date).ToUniversalTime().ToString('o'); my = $my; root = $root; ca = $ca; temp = $temp }
