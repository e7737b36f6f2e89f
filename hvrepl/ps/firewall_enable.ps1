Enable-NetFirewallRule -Name {{rule}}
$result = @{ enabled = $true }
