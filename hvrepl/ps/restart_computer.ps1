Restart-Computer -Force
$result = @{ restarting = $true }
