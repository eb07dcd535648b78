"""Model artifacts: what they are (registry), where they live (store), where from (sources)."""
