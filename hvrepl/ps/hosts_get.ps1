$path = {{path}}
$text = ''
if (Test-Path -Path $path) { $text = [IO.File]::ReadAllText($path) }
$result = @{ text = $text }
