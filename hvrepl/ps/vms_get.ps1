$list = @()
foreach ($n in {{names}}) {
    $vm = Get-VM -Name $n -ErrorAction SilentlyContinue
    if ($null -eq $vm) { $list += @{ name = $n; exists = $false }; continue }
    $item = @{ name = $n; exists = $true; state = $vm.ReplicationState.ToString()
        mode = $vm.ReplicationMode.ToString()
        checkpoints = @(Get-VMSnapshot -VMName $n | ForEach-Object { [string]$_.Name }) }
    if ($item.state -ne 'Disabled') {
        $r = Get-VMReplication -VMName $n
        $item.replica_server = [string]$r.ReplicaServerName
        $item.port = [int]$r.ReplicaServerPort
        $item.thumbprint = [string]$r.CertificateThumbprint
        $item.frequency = [int]$r.ReplicationFrequencySec
        $item.history = [int]$r.RecoveryHistory
        $item.vss = [int]$r.VSSSnapshotFrequencyHour
        $item.health = $r.ReplicationHealth.ToString()
    }
    $list += $item
}
$result = @{ vms = $list }
