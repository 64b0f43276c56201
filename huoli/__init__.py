"""The operator's command line (`huoli`): see `huoli --help`."""
