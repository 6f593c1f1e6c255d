#!/usr/bin/python3
"""tests/deploy/kubernetes_job_test.py THUMBPIPE CORPUS_DIR JOB_YAML

deploy/kubernetes/thumbpipe-job.yaml, checked without a cluster: it parses as YAML (python3-yaml)
into an Indexed Job of N shards and a merge Job; each pod's command, run here with
JOB_COMPLETION_INDEX set (the photo and store volumes mapped to temporary folders), makes the
thumbnails of exactly its shard (the files whose relative path's SHA-256 starts with a number
that is K mod N); the merge's command then writes the manifest one run over the tree writes.
Exit status 0 when every check passes, 1 otherwise (a missing tool says so)."""

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile

try:
    import yaml
except ImportError:
    print("FAIL: python3-yaml is missing (apt-get install python3-yaml; it is in "
          "THUMBPIPE_TEST_PACKAGES)")
    sys.exit(1)

failures = 0


def check(what, ok, detail=""):
    global failures
    print(("ok: " if ok else "FAIL: ") + what + ("" if ok else "\n" + detail))
    if not ok:
        failures += 1


def shard_of(relative, count):
    return int.from_bytes(hashlib.sha256(relative.encode()).digest()[:8], "big") % count


def manifest_sources(path):
    with open(path, encoding="utf-8") as f:
        return [line.rstrip("\n").split(": ", 1)[1] for line in f]


def main():
    thumbpipe, corpus, job_yaml = sys.argv[1:4]
    with open(job_yaml, encoding="utf-8") as f:
        documents = [d for d in yaml.safe_load_all(f) if d is not None]
    check("the file holds two Jobs", [d.get("kind") for d in documents] == ["Job", "Job"],
          repr([d.get("kind") for d in documents]))
    shards, merge = documents[0], documents[1]
    spec = shards["spec"]
    check("the first is an Indexed Job", spec.get("completionMode") == "Indexed", repr(spec))
    count = spec["completions"]
    check("as many pods at once as shards", spec.get("parallelism") == count)
    pod = spec["template"]["spec"]
    check("pods are not restarted in place (the Job retries the index)",
          pod.get("restartPolicy") == "Never")
    command = pod["containers"][0]["command"]
    script = command[-1]
    check("the pods run --shard k8s/N with the Job's N", f"--shard k8s/{count}" in script, script)
    merge_script = merge["spec"]["template"]["spec"]["containers"][0]["command"][-1]
    check("the merge waits for the same N", f"n={count}" in merge_script, merge_script)
    mounts = {m["name"]: m["mountPath"] for m in pod["containers"][0]["volumeMounts"]}
    check("the pods mount /photos and /store", sorted(mounts.values()) == ["/photos", "/store"])

    with tempfile.TemporaryDirectory() as tmp:
        photos, store, bin_dir = (os.path.join(tmp, n) for n in ("photos", "store", "bin"))
        shutil.copytree(os.path.join(corpus, "exif-orientation"), os.path.join(photos, "exif"))
        shutil.copytree(os.path.join(corpus, "pngsuite"), os.path.join(photos, "png suite"))
        os.makedirs(store)
        os.makedirs(bin_dir)
        os.symlink(thumbpipe, os.path.join(bin_dir, "thumbpipe"))
        env = dict(os.environ, PATH=bin_dir + ":" + os.environ.get("PATH", ""))

        def local(argv):
            return [a.replace("/photos", photos).replace("/store", store) for a in argv]

        relative = sorted(os.path.relpath(os.path.join(d, f), photos)
                          for d, _, files in os.walk(photos) for f in files)
        for k in range(count):
            run = subprocess.run(local(command), env=dict(env, JOB_COMPLETION_INDEX=str(k)),
                                 capture_output=True, text=True, timeout=300)
            check(f"pod {k} exits 0", run.returncode == 0, run.stderr)
            manifest = os.path.join(store, f"processed.txt.{k}-of-{count}")
            check(f"pod {k} writes its manifest", os.path.exists(manifest), run.stderr)
            if not os.path.exists(manifest):
                continue
            listed = {os.path.relpath(s, photos) for s in manifest_sources(manifest)}
            expected = {r for r in relative if shard_of(r, count) == k}
            # Every line is of this shard, and it found every file of its shard (files that
            # are not images have no line).
            summary = re.search(r"Finished in [\d.]+ s: (\d+) thumbnails, (\d+) not images, "
                                r"(\d+) failed", run.stderr)
            found = sum(int(n) for n in summary.groups()) if summary else -1
            check(f"pod {k} did its shard and only its shard",
                  listed <= expected and found == len(expected) and found > 0,
                  f"not of shard {k}: {sorted(listed - expected)}; found {found} of "
                  f"{len(expected)}\n{run.stderr}")
        run = subprocess.run(local(merge["spec"]["template"]["spec"]["containers"][0]["command"]),
                             env=env, capture_output=True, text=True, timeout=300)
        check("the merge exits 0", run.returncode == 0, run.stderr)
        single = subprocess.run([thumbpipe, "--no-progress", "--output",
                                 os.path.join(tmp, "single"), "--manifest",
                                 os.path.join(tmp, "single.txt"), photos],
                                capture_output=True, text=True, timeout=300)
        check("one run over the tree exits 0", single.returncode == 0, single.stderr)
        merged_path = os.path.join(store, "processed.txt")
        same = os.path.exists(merged_path) and open(merged_path, "rb").read() == \
            open(os.path.join(tmp, "single.txt"), "rb").read()
        check("the merged manifest is the one run's, byte for byte", same)
        check("the store holds the one run's thumbnails",
              sorted(os.listdir(os.path.join(store, "thumbnails"))) ==
              sorted(os.listdir(os.path.join(tmp, "single"))))
    print(f"kubernetes_job_test: {failures} failed" if failures else "kubernetes_job_test: all passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
