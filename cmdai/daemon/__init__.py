"""The helper: one process per user that keeps the model warm and answers the hook."""
