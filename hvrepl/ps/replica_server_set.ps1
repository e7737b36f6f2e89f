Set-VMReplicationServer -ReplicationEnabled $true -AllowedAuthenticationType Certificate -CertificateThumbprint {{thumbprint}} -CertificateAuthenticationPort {{port}} -ReplicationAllowedFromAnyServer $false -DefaultStorageLocation {{storage}} -Force
$result = @{ set = $true }
