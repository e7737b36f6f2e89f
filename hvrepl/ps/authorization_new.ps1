New-VMReplicationAuthorizationEntry -AllowedPrimaryServer {{server}} -ReplicaStorageLocation {{storage}} -TrustGroup {{group}} | Out-Null
$result = @{ created = $true }
