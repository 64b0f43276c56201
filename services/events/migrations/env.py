from services.common.migrations import run_env
from services.events.settings import EventsSettings
from services.events.tables import metadata

run_env(
    target_metadata=metadata,
    version_table="alembic_version_events",
    default_url=EventsSettings().resolved_database_url(),
)
