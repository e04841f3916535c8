# Demo step: the edge Worker in workerd (wrangler dev) on http://127.0.0.1:8787/.
# Its queue consumer produces to the Kafka REST gateway on 127.0.0.1:18082, and
# pages (/, /p/*) are the storefront on 127.0.0.1:8080 with the slots filled at the edge.
# Sourced by scripts/demo.sh with scripts/lib/proc.sh loaded and cwd = repo root.
make --no-print-directory setup-worker
port_free 8787
# The page's catalog, rules and model (www/) are published to the Worker's local
# KV, so the edge decides over exactly the data the page does: a page rendered at
# the edge and the page's own decision agree, with no flicker.
EP_CONFIG_DIR=www EP_MODEL_FILE=www/model.epm start_bg demo-worker worker/scripts/dev.sh 8787 \
    --var SINK_URL:http://127.0.0.1:18082 \
    --var STOREFRONT_ORIGIN:http://127.0.0.1:8080
wait_port 8787 60 demo-worker
echo "  Worker:     http://127.0.0.1:8787/ (API /v1/collect, /v1/decide, /v1/config)"
