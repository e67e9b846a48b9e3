"""The command line: flags in Go and GNU style, subcommands, terminal rendering."""
