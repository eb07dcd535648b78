"""cmdai: plain English in, one shell command out, with a local model."""

__version__ = "0.1.0"
