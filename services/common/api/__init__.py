"""The web edge every service and the gateway share: problem+json rendering and FastAPI
dependencies. Domain code never imports it."""
