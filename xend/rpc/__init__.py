"""xend's RPC: the JSON-RPC 2.0 wire format (shared with xm), the method
table, and the daemon-side server and dispatch."""
