"""The command line (`python -m qa`): flags parsed into Settings at the edge, each subcommand a thin caller of the API."""
