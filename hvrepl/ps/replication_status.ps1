$list = @()
foreach ($r in @(Get-VMReplication)) {
    $last = $null
    if ($null -ne $r.LastReplicationTime) { $last = $r.LastReplicationTime.ToUniversalTime().ToString('o') }
    $list += @{ name = [string]$r.VMName; state = $r.ReplicationState.ToString(); health = $r.ReplicationHealth.ToString()
        mode = $r.ReplicationMode.ToString(); primary = [string]$r.PrimaryServerName
        replica = [string]$r.ReplicaServerName; last = $last }
}
$result = @{ vms = $list }
