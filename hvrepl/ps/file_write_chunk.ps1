$path = {{path}}
$chunk = {{chunk}}
if ({{first}}) { Set-Content -Path $path -Value $chunk } else { Add-Content -Path $path -Value $chunk }
$result = @{ written = $true }
