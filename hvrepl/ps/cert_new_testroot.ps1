$cert = New-SelfSignedCertificate -DnsName {{fqdn}} -CertStoreLocation Cert:\LocalMachine\My -TestRoot
$result = @{ thumbprint = [string]$cert.Thumbprint }
