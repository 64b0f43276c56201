"""Early warnings (危机预警) beyond the WAU drop: join, leave, report and sanction spikes."""
