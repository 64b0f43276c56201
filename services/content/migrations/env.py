from services.common.migrations import run_env
from services.content.settings import ContentSettings
from services.content.tables import metadata

run_env(
    target_metadata=metadata,
    version_table="alembic_version_content",
    default_url=ContentSettings().resolved_database_url(),
)
