"""ingest: MQTT → validation → enrichment → InfluxDB, with dead letters and violation rules.

Stages (each testable on its own): `consumer` (paho transport, the client chosen
by `mqtt_client`, manual acks) → `core.contract.parse`, then `arrival` (a `ts` its
arrival rules out) → `points` (enrichment and line protocol) → `writer`
(batches by size and time, retries with backoff, acknowledges after the write);
`engine` runs the pure `rules` over every message and writes `violation` events
and alerts. `service.IngestService` wires them together.
"""

# Worker processes one service may run; `yiju ingest --workers` and `ServiceOptions`
# both hold to it.
MAX_WORKERS = 64
