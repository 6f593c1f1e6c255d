#!/usr/bin/python3
"""Asks GNOME's thumbnail factory (gnome-desktop, through python3-gi) what it thinks of every
regular file under ROOT: for each flavour, the thumbnail lookup() finds for the file's URI and
current mtime (null when there is none or it is stale); whether the factory has a valid failure
of its own for it; whether it would make one (can_thumbnail, asked for MIME). The thumbnail
cache is $XDG_CACHE_HOME/thumbnails, read by GLib when this process starts.

usage: desktop_factory.py ROOT MIME
prints one JSON object a line: {"path": <hex>, "uri": ..., "mtime": ...,
  "lookup": {"normal": <path or null>, ...}, "failed": bool, "can_thumbnail": bool}"""
import json
import os
import sys

try:
    import gi
    gi.require_version("GnomeDesktop", "3.0")
    from gi.repository import GLib, GnomeDesktop
except (ImportError, ValueError) as e:
    sys.exit("GNOME's thumbnail factory is needed (Debian: python3-gi, gir1.2-gnomedesktop-3.0): %s" % e)

root, mime = os.fsencode(sys.argv[1]), sys.argv[2]
Size = GnomeDesktop.DesktopThumbnailSize
factories = {name: GnomeDesktop.DesktopThumbnailFactory.new(size) for name, size in
             (("normal", Size.NORMAL), ("large", Size.LARGE), ("x-large", Size.XLARGE),
              ("xx-large", Size.XXLARGE))}
for folder, _, files in os.walk(root):
    for name in sorted(files):
        path = os.path.join(folder, name)
        if not os.path.isfile(path) or os.path.islink(path):
            continue
        uri = GLib.filename_to_uri(path, None)
        mtime = int(os.stat(path).st_mtime)
        normal = factories["normal"]
        print(json.dumps({
            "path": path.hex(), "uri": uri, "mtime": mtime,
            "lookup": {flavour: f.lookup(uri, mtime) for flavour, f in factories.items()},
            "failed": normal.has_valid_failed_thumbnail(uri, mtime),
            "can_thumbnail": normal.can_thumbnail(uri, mime, mtime)}))
