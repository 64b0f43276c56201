from services.common.migrations import run_env
from services.scoring.settings import ScoringSettings
from services.scoring.tables import metadata

run_env(
    target_metadata=metadata,
    version_table="alembic_version_scoring",
    default_url=ScoringSettings().resolved_database_url(),
)
