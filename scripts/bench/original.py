#!/usr/bin/python3
"""The original thumbnailer that thumbpipe succeeds, ported to Python 3 and today's Pillow.

Same design as the blog post "Parallel data processing" (2013): a producer walks the tree and
puts every file on a queue followed by one sentinel per worker; N multiprocessing workers
open each file with Pillow, shrink it with Image.thumbnail(), name it by the SHA-256 of its
pixels and save it as PNG; a sink writes "<name>.png: <source path>" lines until it has
seen every worker's sentinel.

Changes from the post, beyond Python 2 -> 3: the missing lines are filled in; EXIF
orientation is applied to the thumbnail (as thumbpipe does, so that their outputs compare);
modes PNG cannot store (CMYK, ...) are converted; any error while reading an image is caught
(the post caught IOError on open only, so a decompression bomb or a damaged file killed its
worker and the sink then waited forever for that worker's sentinel); the workers report
non-images and failures to the sink so the last line can count them like thumbpipe's does.

Usage: original.py ROOT [WORKERS] [--size WxH] [--output DIR] [--manifest FILE] [-v]
"""

import argparse
import hashlib
import logging
import multiprocessing
import os
import sys
import time
from multiprocessing import Process, Queue

from PIL import Image

# Image.transpose() methods that turn a picture stored with EXIF orientation N upright.
ORIENTATION = {
    2: Image.FLIP_LEFT_RIGHT, 3: Image.ROTATE_180, 4: Image.FLIP_TOP_BOTTOM, 5: Image.TRANSPOSE,
    6: Image.ROTATE_270, 7: Image.TRANSVERSE, 8: Image.ROTATE_90,
}
PNG_MODES = {"1", "L", "LA", "P", "RGB", "RGBA", "I", "I;16"}


def filename_producer(root_folder, out_queue, consumers):
    # Walk into all subfolders and output every file found
    for root, dirs, filenames in os.walk(root_folder):
        for filename in filenames:
            # Build filename with absolute path
            filename = os.path.abspath(os.path.join(root, filename))
            # Put it into the queue
            out_queue.put(filename)

    # Put a number of sentinels equal to the number of workers
    for i in range(consumers):
        out_queue.put(StopIteration)


def thumbnail_consumer(in_queue, out_queue, size, thumb_dir):
    # Create thumbnail directory if doesn't exist
    os.makedirs(thumb_dir, exist_ok=True)

    while 1:
        # Fetch filename from queue
        filename = in_queue.get()

        # Skip if stop iteration
        if filename == StopIteration:
            break

        # Try to load the file
        try:
            image = Image.open(filename)
        except OSError:
            out_queue.put(("not-image", filename))
            continue
        except Exception as error:  # noqa: BLE001 - e.g. a decompression bomb
            logging.warning("Failed %s: %s", filename, error)
            out_queue.put(("failed", filename))
            continue
        logging.info("Processing file %s", os.path.split(filename)[1])

        try:
            with image:
                # Create thumbnail of the file (the box applies to the upright picture)
                orientation = image.getexif().get(0x0112, 1)
                box = size if orientation not in (5, 6, 7, 8) else (size[1], size[0])
                image.thumbnail(box, Image.LANCZOS)
                if orientation in ORIENTATION:
                    image = image.transpose(ORIENTATION[orientation])
                if image.mode not in PNG_MODES:
                    alpha = "A" in image.mode or "transparency" in image.info
                    image = image.convert("RGBA" if alpha else "RGB")

                # Generate thumbnail's filename by the digest of the image
                digest = hashlib.sha256(image.tobytes()).hexdigest()
                thumbnail = "{}.png".format(digest)

                # Save image as PNG
                image.save(os.path.join(thumb_dir, thumbnail), "PNG")
        except Exception as error:  # noqa: BLE001 - a bad image must not stop the worker
            logging.warning("Failed %s: %s", filename, error)
            out_queue.put(("failed", filename))
            continue

        # Push original filename and thumbnail
        out_queue.put((filename, thumbnail))

    # Send a iteration's stop
    out_queue.put(StopIteration)


def sink_consumer(in_queue, filename, workers, summary):
    # Create folder if doesn't exist
    folder = os.path.dirname(filename)
    if folder:
        os.makedirs(folder, exist_ok=True)

    counts = {"thumbnails": 0, "not-image": 0, "failed": 0}
    with open(filename, "w", encoding="utf-8", errors="surrogateescape") as f:
        # Cycle until the number of active workers is greater than 0
        while workers:
            # Fetch item from the queue
            result = in_queue.get()

            if result == StopIteration:
                # It's a stop iteration, decrement number of active workers
                workers -= 1
            elif result[0] in ("not-image", "failed"):
                counts[result[0]] += 1
            else:
                # Unpack item and write the result into the file
                filename, hash_ = result
                f.write("{1}: {0}\n".format(filename, hash_))
                counts["thumbnails"] += 1
    summary.put(counts)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("root")
    parser.add_argument("workers", nargs="?", type=int, default=multiprocessing.cpu_count())
    parser.add_argument("--size", default="200x200")
    parser.add_argument("--output", default="thumbnails")
    parser.add_argument("--manifest", default="processed.txt")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO if args.verbose else logging.ERROR,
                        format="%(processName)s: %(message)s")
    size = tuple(int(side) for side in args.size.split("x"))

    # Save timestamp
    start = time.time()
    workers = args.workers

    # Create queues
    producer_queue = Queue()
    sink_queue = Queue()
    summary = Queue()

    # Producer
    producer = Process(target=filename_producer, args=(args.root, producer_queue, workers))

    # Consumers
    consumers = []
    for i in range(workers):
        consumer = Process(target=thumbnail_consumer,
                           args=(producer_queue, sink_queue, size, args.output))
        consumers.append(consumer)

    sink = Process(target=sink_consumer, args=(sink_queue, args.manifest, workers, summary))

    producer.start()
    for consumer in consumers:
        consumer.start()
    sink.start()

    # Join the sink consumer (and reap the others)
    counts = summary.get()
    sink.join()
    producer.join()
    for consumer in consumers:
        consumer.join()

    # Print elapsed time
    print("original.py: Finished in {:.2f} s: {} thumbnails, {} not images, {} failed".format(
        time.time() - start, counts["thumbnails"], counts["not-image"], counts["failed"]),
        file=sys.stderr)


if __name__ == "__main__":
    main()
