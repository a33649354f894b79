"""trakrf-server: a self-hosted, single-binary RFID asset-tracking server."""

__version__ = "0.1.0"
