"""What the app tells its operators: structured logs, Prometheus metrics, the access log."""
