from services.common.migrations import run_env
from services.members.settings import MembersSettings
from services.members.tables import metadata

run_env(
    target_metadata=metadata,
    version_table="alembic_version_members",
    default_url=MembersSettings().resolved_database_url(),
)
