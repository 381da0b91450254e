# Shipped with bench::with_files.
greet() { echo "hello $1"; }
