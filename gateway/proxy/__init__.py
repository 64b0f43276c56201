"""The /v1 proxy: path routing, forwarding upstream, the merged OpenAPI document, probes."""
