"""The suggestion box: members post suggestions and +1 others'; staff answer with a status."""
