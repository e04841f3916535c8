# Demo step: the storefront (www/, with the package layer at /ep/ and dist/web at /wasm/)
# on http://127.0.0.1:8080/. Sourced by scripts/demo.sh with scripts/lib/proc.sh loaded
# and cwd = repo root.
port_free 8080
start_bg demo-www node scripts/serve-static.mjs 8080
wait_port 8080 15 demo-www
echo "  Storefront with the debug drawer open: http://127.0.0.1:8080/?debug (events go to the Worker on :8787)"
