Stop-VM -Name {{vm}} -TurnOff -Force
$result = @{ state = (Get-VM -Name {{vm}}).State.ToString() }
