Set-VMReplicationAuthorizationEntry -AllowedPrimaryServer {{server}} -ReplicaStorageLocation {{storage}} -TrustGroup {{group}}
$result = @{ updated = $true }
