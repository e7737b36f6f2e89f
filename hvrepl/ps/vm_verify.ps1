$r = Get-VMReplication -VMName {{vm}} -ReplicaServerName {{server}}
$result = @{ thumbprint = [string]$r.CertificateThumbprint; frequency = [int]$r.ReplicationFrequencySec
    history = [int]$r.RecoveryHistory; mode = $r.ReplicationMode.ToString() }
