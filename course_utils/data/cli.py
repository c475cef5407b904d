"""Handlers for ``python -m course_utils data list`` and ``data fetch NAME``."""

import sys

from course_utils.data import download, registry


def main(args):
    """Run the ``data`` sub-command parsed into ``args``; return the exit status."""
    if args.data_command == "list":
        print(registry.format_registry_table())
        return 0

    try:
        folder = download.fetch(args.name, allow_network=args.allow_network or None,
                                sha256=args.sha256, allow_unverified=args.allow_unverified)
    # archives.ArchiveError is a ValueError, so an invalid archive also ends here.
    except (KeyError, ValueError, download.DownloadError) as error:
        message = error.args[0] if isinstance(error, KeyError) else str(error)
        print(f"error: {message}", file=sys.stderr)
        return 1
    print(folder)
    return 0
