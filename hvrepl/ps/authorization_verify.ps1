$e = Get-VMReplicationAuthorizationEntry -AllowedPrimaryServer {{server}}
$result = @{ storage = [string]$e.ReplicaStorageLocation; group = [string]$e.TrustGroup }
