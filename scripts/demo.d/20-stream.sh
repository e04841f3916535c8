# Demo step: the central stream. A Tansu broker (Kafka protocol, in memory) on 127.0.0.1:19092
# with the topic ep-events (3 partitions), and ep-gateway (Kafka REST Proxy produce API) on
# http://127.0.0.1:18082 in front of it, where the Worker's queue consumer delivers events.
# Sourced by scripts/demo.sh with scripts/lib/proc.sh loaded, cwd = repo root, and
# EP_PROC_REGISTRY set, so the servers broker.sh / gateway.sh start are stopped with the demo.
make --no-print-directory setup-stream
scripts/stream/broker.sh start 19092 ep-events 3
# The Worker's sink topic (SINK_TOPIC in wrangler.toml) must exist too: the gateway refuses
# unknown topics (404) rather than creating them.
sink_topic="$(sed -n 's/^SINK_TOPIC *= *"\([A-Za-z0-9._-]*\)".*/\1/p' wrangler.toml 2>/dev/null | head -n 1)"
if [ -n "$sink_topic" ] && [ "$sink_topic" != ep-events ]; then
    scripts/stream/broker.sh topic 19092 "$sink_topic" 3
fi
scripts/stream/gateway.sh start 18082 19092 --cluster-id ep-demo
echo "  Broker:     tcp://127.0.0.1:19092 (topics: ep-events${sink_topic:+ $sink_topic})"
echo "  Gateway:    http://127.0.0.1:18082 (POST /topics/{topic}, /v3/clusters/ep-demo/topics/{topic}/records)"
echo "  Read the stream: node tests/stream/consume.mjs --broker 127.0.0.1:19092 --topic ${sink_topic:-ep-events}"
