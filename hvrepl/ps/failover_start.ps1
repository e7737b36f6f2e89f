Start-VMFailover -VMName {{vm}} -Confirm:$false
if ({{complete}}) {
    Start-VM -Name {{vm}}
    Complete-VMFailover -VMName {{vm}} -Confirm:$false
}
$result = @{ failed_over = $true }
