Stop-VM -Name {{vm}} -Force
Start-VMFailover -VMName {{vm}} -Prepare -Confirm:$false
$result = @{ prepared = $true }
