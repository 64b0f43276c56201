from gateway.settings import GatewaySettings
from gateway.tables import metadata
from services.common.migrations import run_env

run_env(
    target_metadata=metadata,
    version_table="alembic_version_gateway",
    default_url=GatewaySettings().resolved_database_url(),
)
