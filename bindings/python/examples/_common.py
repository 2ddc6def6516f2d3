# SPDX-License-Identifier: MIT
"""What the examples share: the store location (the C library's rule), Docker's formats."""
import time

import libimage


def store_path(args_store=None):
    """--store DIR, else where libimage keeps its store ($LIBIMAGE_STORE,
    $XDG_DATA_HOME/libimage, ~/.local/share/libimage: limg_store_default_path)."""
    return args_store or libimage.Store.default_path()


def human_size(size, precision=3):
    """go-units HumanSize: "162MB"."""
    units = ["B", "kB", "MB", "GB", "TB", "PB"]
    i = 0
    while size >= 1000 and i < len(units) - 1:
        size /= 1000.0
        i += 1
    return "%.*g%s" % (precision, size, units[i])


def ago(when):
    """go-units HumanDuration, as docker images prints CREATED."""
    seconds = int(time.time() - when.timestamp())
    minutes, hours = seconds // 60, int(seconds / 3600.0 + 0.5)
    if seconds < 1:
        return "Less than a second ago"
    if seconds == 1:
        return "1 second ago"
    if seconds < 60:
        return "%d seconds ago" % seconds
    if minutes == 1:
        return "About a minute ago"
    if minutes < 60:
        return "%d minutes ago" % minutes
    if hours == 1:
        return "About an hour ago"
    if hours < 48:
        return "%d hours ago" % hours
    if hours < 24 * 7 * 2:
        return "%d days ago" % (hours // 24)
    if hours < 24 * 30 * 2:
        return "%d weeks ago" % (hours // 24 // 7)
    if hours < 24 * 365 * 2:
        return "%d months ago" % (hours // 24 // 30)
    return "%d years ago" % (seconds // 3600 // 24 // 365)


def table(rows):
    """Docker's table: every column but the last as wide as its widest cell plus 3 (at least 10)."""
    if not rows:
        return ""
    widths = [max(10, max(len(r[c]) for r in rows) + 3) for c in range(len(rows[0]) - 1)]
    return "".join("".join(cell.ljust(widths[i]) for i, cell in enumerate(r[:-1])) + r[-1] + "\n" for r in rows)
