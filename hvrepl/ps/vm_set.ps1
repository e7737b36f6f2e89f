$vss = {{vss}}
if ($null -eq $vss) {
    Set-VMReplication -VMName {{vm}} -ReplicaServerName {{server}} -ReplicaServerPort {{port}} -AuthenticationType Certificate -CertificateThumbprint {{thumbprint}} -ReplicationFrequencySec {{frequency}} -RecoveryHistory {{history}}
} else {
    Set-VMReplication -VMName {{vm}} -ReplicaServerName {{server}} -ReplicaServerPort {{port}} -AuthenticationType Certificate -CertificateThumbprint {{thumbprint}} -ReplicationFrequencySec {{frequency}} -RecoveryHistory {{history}} -VSSSnapshotFrequencyHour $vss
}
$state = (Get-VMReplication -VMName {{vm}}).ReplicationState.ToString()
if ($state -eq 'Error' -or $state -eq 'Suspended') { Resume-VMReplication -VMName {{vm}} }
if ({{reset_statistics}}) { Reset-VMReplicationStatistics -VMName {{vm}} }
$result = @{ updated = $true; state_before = $state }
