"""The tier policy (升级/留级制度): promoting, demoting and purging members by engagement."""
