Start-VMFailover -VMName {{vm}} -AsTest -Confirm:$false
$result = @{ test_vm = {{vm}} + ' - Test' }
