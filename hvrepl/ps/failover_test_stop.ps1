$running = @(Get-VM | Where-Object { $_.Name -eq ({{vm}} + ' - Test') }).Count -gt 0
if ($running) { Stop-VMFailover -VMName {{vm}} -Confirm:$false }
$result = @{ stopped = $running }
