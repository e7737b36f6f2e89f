$result = @{ lines = @(Get-Content -Path {{path}}) }
