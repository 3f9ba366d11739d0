#!/usr/bin/python3
"""scripts/plot-sweep.py on a small sweep CSV: a PNG and an SVG come out,
one line per group, and bad input gives FILE:LINE: messages and exit 2.

Exits 77 (reported by ctest as Skipped) without matplotlib.
With MMUSIM, also the whole workflow: two shards of mmusim run --json,
mmusim merge, and a plot of the merged runs; and two --sweep shards of
mmusim run --csv, one a preset, merged with --file-column=preset and
plotted by mmusim's column names.
Usage: plot_sweep_test.py SCRIPT FIXTURE [MMUSIM]
"""

import os
import struct
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

SKIP = 77
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def run(script, *args, stdin=None):
    return subprocess.run([sys.executable, script, *args], input=stdin,
                          capture_output=True, text=True, check=False)


def check(cond, what):
    if not cond:
        print(f"FAIL: {what}", file=sys.stderr)
        sys.exit(1)


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    check(head[:8] == PNG_MAGIC, f"{path} is not a PNG")
    return struct.unpack(">II", head[16:24])


def main():
    script, fixture = sys.argv[1], sys.argv[2]
    mmusim = sys.argv[3] if len(sys.argv) > 3 else None
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print("matplotlib is missing: install python3-matplotlib "
              "(scripts/bootstrap.sh)")
        return SKIP
    tmp_dir = tempfile.TemporaryDirectory(prefix="mmusim-plot-")
    tmp = tmp_dir.name
    base = ["--x", "tlb.l2.entries", "--y", "stlb_misses", "--y",
            "walk_cycles", "--group", "preset"]

    png = os.path.join(tmp, "sweep.png")
    r = run(script, fixture, *base, "-o", png)
    check(r.returncode == 0, f"png: exit {r.returncode}: {r.stderr}")
    width, height = png_size(png)
    # Two panels of 6.4 x 3.2 inches at 150 dpi.
    check((width, height) == (960, 960), f"png is {width}x{height}")

    svg = os.path.join(tmp, "sweep.svg")
    r = run(script, fixture, *base, "-o", svg)
    check(r.returncode == 0, f"svg: exit {r.returncode}: {r.stderr}")
    root = ET.parse(svg).getroot()
    check(root.tag.endswith("svg"), "the SVG's root is not <svg>")
    text = open(svg, encoding="utf-8").read()
    # matplotlib writes each line as a path with an id of its own; the
    # legend names each group.
    for label in ("preset=skylake", "preset=zen2"):
        check(label in text,
              f"no legend entry {label}")

    # One figure, filtered to one group, from standard input.
    with open(fixture, encoding="utf-8") as f:
        csv_text = f.read()
    one = os.path.join(tmp, "one.png")
    r = run(script, "-", "--x", "tlb.l2.entries", "--y", "walks",
            "--where", "preset=zen2", "-o", one, stdin=csv_text)
    check(r.returncode == 0, f"--where: exit {r.returncode}: {r.stderr}")
    check(png_size(one)[1] == 480, "one panel is not 480 pixels high")

    # Bad input: the message names the file and line, exit 2, no figure.
    bad = os.path.join(tmp, "bad.csv")
    with open(bad, "w", encoding="utf-8") as f:
        f.write("preset,tlb.l2.entries,stlb_misses\nskx,512,10\nskx,1024,many\n")
    out = os.path.join(tmp, "bad.png")
    cases = [
        (["--x", "tlb.l2.entries", "--y", "stlb_misses"],
         f"plot-sweep: {bad}:3: stlb_misses is 'many', not a number\n"),
        (["--x", "tlb.l2.entries", "--y", "cycles"],
         f"plot-sweep: {bad}: --y cycles: no such column (columns: preset, "
         "tlb.l2.entries, stlb_misses)\n"),
    ]
    for args, message in cases:
        r = run(script, bad, *args, "-o", out)
        check(r.returncode == 2, f"{args}: exit {r.returncode}")
        check(r.stderr == message, f"{args}: stderr {r.stderr!r}")
        check(not os.path.exists(out), f"{args}: a figure of bad input")

    # Without --group, two rows at the same x would draw a zigzag.
    r = run(script, fixture, "--x", "tlb.l2.entries", "--y", "walks",
            "-o", out)
    duplicate = (f"{fixture}:7: a second row with tlb.l2.entries=512 "
                 f"(the first is {fixture}:3): choose the other varying "
                 "columns with --group or --where (preset, stlb_misses, "
                 "walk_cycles)\n")
    check(r.returncode == 2 and r.stderr.endswith(duplicate),
          f"duplicate x: {r.stderr!r}")

    # JSON runs: nested keys dotted, a list of files as one cell.
    runs_json = os.path.join(tmp, "runs.json")
    with open(runs_json, "w", encoding="utf-8") as f:
        f.write('[{"input": {"files": ["a.gz"]}, "config": {"tlb_entries": 64},'
                ' "tlb": {"misses": 9}, "hist": [{"refs": 1}]},'
                ' {"input": {"files": ["b.gz"]}, "config": {"tlb_entries": 64},'
                ' "tlb": {"misses": 7}, "hist": [{"refs": 1}]}]')
    r = run(script, runs_json, "--x", "config.tlb_entries", "--y",
            "tlb.misses", "--group", "input.files", "-o", out)
    check(r.returncode == 0 and png_size(out)[1] == 480,
          f"JSON grouped by input.files: {r.stderr}")
    os.unlink(out)

    # End to end: two shards of mmusim run --json, merged, plotted.
    if mmusim:
        shards = []
        for tlb in ("64", "256"):
            shard = os.path.join(tmp, f"tlb{tlb}.json")
            with open(shard, "w", encoding="utf-8") as f:
                r = subprocess.run([mmusim, "run", "--json", "--no-timing",
                                    "--accesses=20000", f"--tlb={tlb}"],
                                   stdout=f, check=False)
            check(r.returncode == 0, f"mmusim run --tlb={tlb}")
            shards.append(shard)
        merged = os.path.join(tmp, "sweep.json")
        with open(merged, "w", encoding="utf-8") as f:
            r = subprocess.run([mmusim, "merge", *shards], stdout=f,
                               check=False)
        check(r.returncode == 0, "mmusim merge")
        runs = os.path.join(tmp, "runs.png")
        r = run(script, merged, "--x", "config.tlb_entries", "--y",
                "tlb.misses", "-o", runs)
        check(r.returncode == 0, f"merged JSON: {r.stderr}")
        check(png_size(runs)[1] == 480, "merged JSON: not one panel")

        # The CSV form: a --sweep shard a preset, merged with the preset
        # as --file-column, plotted by mmusim's own column names.
        csv_shards = []
        for preset in ("skylake", "zen"):
            shard = os.path.join(tmp, f"{preset}.csv")
            with open(shard, "w", encoding="utf-8") as f:
                r = subprocess.run([mmusim, "run", "--csv", "--no-timing",
                                    "--accesses=20000", f"--preset={preset}",
                                    "--set=latency.walk_ref=20",
                                    "--sweep=tlb.l2.entries=384,1536"],
                                   stdout=f, check=False)
            check(r.returncode == 0, f"mmusim run --csv --preset={preset}")
            csv_shards.append(shard)
        merged_csv = os.path.join(tmp, "sweep.csv")
        with open(merged_csv, "w", encoding="utf-8") as f:
            r = subprocess.run([mmusim, "merge", "--file-column=preset",
                                *csv_shards], stdout=f, check=False)
        check(r.returncode == 0, "mmusim merge --file-column=preset")
        presets = os.path.join(tmp, "presets.svg")
        r = run(script, merged_csv, "--x", "config.tlb.l2.entries",
                "--y", "tlb_levels.stlb_misses", "--y", "latency.walk_cycles",
                "--group", "preset", "--logx", "-o", presets)
        check(r.returncode == 0, f"merged CSV: {r.stderr}")
        text = open(presets, encoding="utf-8").read()
        for label in ("preset=skylake", "preset=zen"):
            check(label in text, f"merged CSV: no legend entry {label}")

    print(f"ok: {png} {width}x{height}, {svg}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
