"""What a training pipeline does with BpoStudio, end to end:

1. push the images and the records of a bootstrapping run (ground truth and the model's negatives),
2. push the same records again (nothing changes) and a second run's negatives (they join the samples),
3. follow the decisions annotators make,
4. once a lead approves a version, export it and download the zip for the trainer.

    python3 pipeline.py --url http://localhost:5000 --token bpo_... [--dataset-name my-run] [--out export.zip] [--accept-all]

The token needs the lead scope for step 4 (write is enough for 1-3).
"""
import argparse
import json
import os
import sys
import zipfile

from bpostudio import ApiError, Client


def tiny_png(seed):
    """A real 2x2 PNG, different per seed, so the example runs without image files."""
    import struct
    import zlib
    pixels = bytes([0, seed % 256, (seed * 7) % 256, 200, 10, 20, 30, 0, 40, 50, 60, 70, 80, 90])
    raw = pixels[:7] + pixels[7:]
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    header = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True)
    parser.add_argument("--token", default=os.environ.get("BPOSTUDIO_TOKEN"))
    parser.add_argument("--dataset-name", default="pipeline example")
    parser.add_argument("--out", default="export.zip")
    parser.add_argument("--accept-all", action="store_true", help="accept every pending pair as a lead (a stand-in for the annotators' review)")
    args = parser.parse_args()
    api = Client(args.url, args.token)

    dataset = next((d for d in api.datasets() if d["name"] == args.dataset_name), None) or api.create_dataset(args.dataset_name, "pushed by pipeline.py")
    images = [api.push_image(tiny_png(i)) for i in range(3)]
    run1 = [{"id": f"rec-{i}", "prompt": f"What is in picture {i}?", "image": images[i],
             "completions": [{"response": f"A red bus number {i}.", "type": "gt"}, {"response": f"A blue bus number {i}.", "type": "llm-hal"}]}
            for i in range(3)]
    print("push 1:", json.dumps(api.push_records(dataset["id"], run1)))
    print("push 1 again:", json.dumps(api.push_records(dataset["id"], run1)))
    run2 = [dict(r, completions=r["completions"] + [{"response": f"A red train number {i}.", "type": "mllm-hal"}]) for i, r in enumerate(run1)]
    print("push 2:", json.dumps(api.push_records(dataset["id"], run2)))

    pairs = list(api.pairs(dataset["id"], include="findings"))
    print("pairs:", len(pairs))
    events, cursor = api.events(dataset["id"])
    print("decisions so far:", len(events))

    if args.accept_all:
        print("bulk:", json.dumps(api.bulk(dataset["id"], "Accept", {"status": "Pending"})))
    try:
        version = api.approve(dataset["id"], notes="pipeline example")
    except ApiError as error:
        print("not approved:", error)
        return 0
    export = api.export(dataset["id"], "trl", version=version["number"])
    api.download(export, args.out)
    with zipfile.ZipFile(args.out) as archive:
        print("export:", sorted(archive.namelist()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
