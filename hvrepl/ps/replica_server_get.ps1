$s = Get-VMReplicationServer
$result = @{
    enabled = [bool]$s.ReplicationEnabled
    auth = $s.AllowedAuthenticationType.ToString()
    thumbprint = [string]$s.CertificateThumbprint
    port = [int]$s.CertificateAuthenticationPort
    any_server = [bool]$s.ReplicationAllowedFromAnyServer
    storage = [string]$s.DefaultStorageLocation
}
