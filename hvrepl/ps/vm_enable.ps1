$vss = {{vss}}
if ($null -eq $vss) {
    Enable-VMReplication -VMName {{vm}} -ReplicaServerName {{server}} -ReplicaServerPort {{port}} -AuthenticationType Certificate -CertificateThumbprint {{thumbprint}} -ReplicationFrequencySec {{frequency}} -RecoveryHistory {{history}}
} else {
    Enable-VMReplication -VMName {{vm}} -ReplicaServerName {{server}} -ReplicaServerPort {{port}} -AuthenticationType Certificate -CertificateThumbprint {{thumbprint}} -ReplicationFrequencySec {{frequency}} -RecoveryHistory {{history}} -VSSSnapshotFrequencyHour $vss
}
$result = @{ enabled = $true }
