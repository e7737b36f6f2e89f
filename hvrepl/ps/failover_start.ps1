Start-VMFailover -VMName {{vm}} -Confirm:$false
if ({{complete}}) { Complete-VMFailover -VMName {{vm}} -Confirm:$false }
$result = @{ failed_over = $true }
