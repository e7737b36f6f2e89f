$rules = @(Get-NetFirewallRule -Enabled True -Direction Inbound | Where-Object { $_.Name -eq {{rule}} })
$result = @{ enabled_count = $rules.Count }
