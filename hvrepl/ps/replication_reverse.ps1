$tp = [string](Get-VMReplicationServer).CertificateThumbprint
Set-VMReplication -VMName {{vm}} -Reverse -ReplicaServerName {{server}} -ReplicaServerPort {{port}} -AuthenticationType Certificate -CertificateThumbprint $tp
Start-VM -Name {{vm}}
$result = @{ reversed = $true }
