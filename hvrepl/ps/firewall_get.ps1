$rule = Get-NetFirewallRule -Name {{rule}}
$result = @{ name = [string]$rule.Name; enabled = $rule.Enabled.ToString() }
