"""The quality suite: YAML fixtures of requests, the eval runner, the report renderers."""
