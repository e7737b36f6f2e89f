$tp = [string](Get-VMReplicationServer).CertificateThumbprint
Set-VMReplication -VMName {{vm}} -Reverse -ReplicaServerName {{server}} -ReplicaServerPort {{port}} -AuthenticationType Certificate -CertificateThumbprint $tp -Confirm:$false
if ((Get-VM -Name {{vm}}).State.ToString() -ne 'Running') { Start-VM -Name {{vm}} }
$result = @{ reversed = $true; state = (Get-VMReplication -VMName {{vm}}).ReplicationState.ToString() }
