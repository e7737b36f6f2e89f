$subject = {{subject}}
if (@(Get-ChildItem -Path Cert:\LocalMachine\Root | Where-Object { $_.Subject -eq $subject }).Count -eq 0) {
    foreach ($c in @(Get-ChildItem -Path Cert:\LocalMachine\CA | Where-Object { $_.Subject -eq $subject })) {
        Move-Item -Path ('Cert:\LocalMachine\CA\' + $c.Thumbprint) -Destination Cert:\LocalMachine\Root
    }
}
$result = @{ trusted = @(Get-ChildItem -Path Cert:\LocalMachine\Root | Where-Object { $_.Subject -eq $subject }).Count }
