$vm = Get-VM -Name {{vm}}
$result = @{ name = [string]$vm.Name; state = $vm.State.ToString() }
