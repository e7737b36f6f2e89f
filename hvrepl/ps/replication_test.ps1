Test-VMReplicationConnection -ReplicaServerName {{server}} -ReplicaServerPort {{port}} -AuthenticationType Certificate -CertificateThumbprint {{thumbprint}} | Out-Null
$result = @{ connected = $true }
