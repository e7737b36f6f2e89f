$events = @()
foreach ($e in @(Get-WinEvent -LogName 'Microsoft-Windows-Hyper-V-VMMS-Admin' -MaxEvents {{max}} -ErrorAction SilentlyContinue)) {
    $events += @{ id = [int]$e.Id; level = [int]$e.Level; time = $e.TimeCreated.ToUniversalTime().ToString('o')
        message = [string]$e.Message }
}
$result = @{ events = $events }
