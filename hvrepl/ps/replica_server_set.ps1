Set-VMReplicationServer -ReplicationEnabled $true -AllowedAuthenticationType Certificate -CertificateThumbprint {{thumbprint}} -CertificateAuthenticationPort {{port}} -ReplicationAllowedFromAnyServer $false -DefaultStorageLocation {{storage}}
$result = @{ set = $true }
