$entries = @()
foreach ($e in @(Get-VMReplicationAuthorizationEntry -ErrorAction SilentlyContinue)) {
    $entries += @{ server = [string]$e.AllowedPrimaryServer; storage = [string]$e.ReplicaStorageLocation; group = [string]$e.TrustGroup }
}
$result = @{ entries = $entries }
