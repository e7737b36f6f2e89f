$s = Get-VMReplicationServer | Select-Object -Property ReplicationEnabled, CertificateThumbprint, CertificateAuthenticationPort
$result = @{ enabled = [bool]$s.ReplicationEnabled; thumbprint = [string]$s.CertificateThumbprint; port = [int]$s.CertificateAuthenticationPort }
