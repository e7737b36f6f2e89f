$removed = 0
foreach ($f in @(Get-ChildItem -Path {{folder}} -Filter {{pattern}} -ErrorAction SilentlyContinue)) {
    Remove-Item -Path $f.FullName -Force
    $removed += 1
}
$result = @{ removed = $removed }
