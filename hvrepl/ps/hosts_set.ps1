[IO.File]::WriteAllText({{path}}, {{text}})
$result = @{ written = $true }
