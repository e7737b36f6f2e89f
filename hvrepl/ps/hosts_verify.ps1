$result = @{ lines = @(Get-Content -Path {{path}} | ForEach-Object { [string]$_ }) }
