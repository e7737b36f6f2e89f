$vss = {{vss}}
if ($null -eq $vss) {
    Set-VMReplication -VMName {{vm}} -ReplicaServerName {{server}} -ReplicaServerPort {{port}} -AuthenticationType Certificate -CertificateThumbprint {{thumbprint}} -ReplicationFrequencySec {{frequency}} -RecoveryHistory {{history}}
} else {
    Set-VMReplication -VMName {{vm}} -ReplicaServerName {{server}} -ReplicaServerPort {{port}} -AuthenticationType Certificate -CertificateThumbprint {{thumbprint}} -ReplicationFrequencySec {{frequency}} -RecoveryHistory {{history}} -VSSSnapshotFrequencyHour $vss
}
$result = @{ updated = $true }
