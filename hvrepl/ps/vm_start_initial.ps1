Start-VMInitialReplication -VMName {{vm}}
$result = @{ started = $true }
