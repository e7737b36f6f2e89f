$b64 = (Get-Content -Path {{part}} -Raw) -replace '\s', ''
[IO.File]::WriteAllBytes({{path}}, [Convert]::FromBase64String($b64))
Remove-Item -Path {{part}} -Force
$result = @{ sha256 = [string](Get-FileHash -Path {{path}} -Algorithm SHA256).Hash }
