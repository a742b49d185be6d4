"""Grafana boards as code: builders, provisioning, validation, and the probe that runs
every query against InfluxDB as Grafana would (`yiju dashboards`)."""
