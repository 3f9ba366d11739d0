#!/usr/bin/python3
"""Plot a sweep CSV of mmusim run (or mmusim merge) as a PNG, SVG or PDF.

One panel per --y figure, against the --x configuration key, one line per
value of the --group column.  Columns are taken from the CSV's header, so
any key or figure mmusim writes can be plotted.  See docs/experiments.md.
STLB misses and walk cycles against the STLB's size, one line per preset:

    mmusim merge --file-column=preset skylake.csv zen.csv > sweep.csv
    scripts/plot-sweep.py sweep.csv --x config.tlb.l2.entries \\
        --y tlb_levels.stlb_misses --y latency.walk_cycles --group preset \\
        -o stlb.png
"""

import argparse
import csv
import json
import math
import os
import sys

PROG = "plot-sweep"
EXIT_BAD_INPUT = 2


class BadInput(Exception):
    """A message in the project's form: FILE:LINE: what is wrong."""


def flatten(value, prefix, out):
    """Nested objects as dotted keys: {"tlb": {"misses": 3}} -> tlb.misses;
    a list of plain values as one cell, its values joined by commas (as
    input.files is in mmusim's CSV)."""
    if isinstance(value, dict):
        for key, inner in value.items():
            flatten(inner, f"{prefix}.{key}" if prefix else key, out)
    elif isinstance(value, list):
        if all(not isinstance(v, (dict, list)) for v in value):
            out[prefix] = ",".join("" if v is None else str(v) for v in value)
    else:
        out[prefix] = "" if value is None else str(value)


def read_json_runs(path, text):
    """mmusim run --json output, or mmusim merge's array of runs, as rows
    of dotted columns (config.tlb_entries, tlb.misses, walks.refs, ...).
    Lists of objects (histograms, per-process figures) are left out."""
    try:
        runs = json.loads(text)
    except json.JSONDecodeError as e:
        raise BadInput(f"{path}:{e.lineno}: {e.msg}") from None
    if isinstance(runs, dict):
        runs = [runs]
    if not isinstance(runs, list):
        raise BadInput(f"{path}:1: neither a run object nor an array of runs")
    header = []
    rows = []
    for i, run in enumerate(runs, start=1):
        if not isinstance(run, dict):
            raise BadInput(f"{path}: run {i} is not a JSON object")
        row = {}
        flatten(run, "", row)
        for key in row:
            if key not in header:
                header.append(key)
        rows.append((f"{path}: run {i}", row))
    for _, row in rows:
        for key in header:
            row.setdefault(key, "")
    return header, rows


def read_sweep(path):
    """The header and the rows of @path, each row (line, {column: cell}).

    CSV: '#' lines before the header (mmusim's version, a shard's note)
    are skipped, as are blank lines.  JSON: see read_json_runs().
    """
    try:
        f = sys.stdin if path == "-" else open(path, newline="", encoding="utf-8")
    except OSError as e:
        raise BadInput(f"{path}: {e.strerror}") from e
    lines = []
    line_no = 0
    with f:
        try:
            for line_no, text in enumerate(f, start=1):
                if not lines and (text.startswith("#") or not text.strip()):
                    continue
                lines.append((line_no, text))
        except UnicodeDecodeError:
            raise BadInput(f"{path}:{line_no + 1}: not UTF-8 text") from None
    if not lines:
        raise BadInput(f"{path}:{line_no + 1}: no header row")
    if lines[0][1].lstrip()[:1] in ("[", "{"):
        return read_json_runs(path, "".join(text for _, text in lines))
    reader = csv.reader(text for _, text in lines)
    header = None
    rows = []
    while True:
        # Lines consumed so far: the record starts at the next one.
        line = lines[min(reader.line_num, len(lines) - 1)][0]
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as e:
            raise BadInput(f"{path}:{line}: {e}") from None
        if header is None:
            header = record
            if len(set(header)) != len(header):
                raise BadInput(f"{path}:{line}: a column is named twice")
            continue
        if not record:
            continue
        if len(record) != len(header):
            raise BadInput(f"{path}:{line}: {len(record)} cells, "
                           f"the header has {len(header)}")
        rows.append((f"{path}:{line}", dict(zip(header, record))))
    return header, rows


def need_column(path, header, name, option):
    if name not in header:
        raise BadInput(f"{path}: {option} {name}: no such column "
                       f"(columns: {', '.join(header)})")


def as_number(where, column, cell):
    """@cell of @column as a number; @where is FILE:LINE or FILE: run N."""
    try:
        value = float(cell)
    except ValueError:
        raise BadInput(f"{where}: {column} is '{cell}', "
                       "not a number") from None
    if math.isnan(value):
        raise BadInput(f"{where}: {column} is not a number")
    return value


def parse_where(items):
    where = []
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise BadInput(f"--where {item}: not KEY=VALUE")
        where.append((key, value))
    return where


def series(path, header, rows, args):
    """{group: [(x, {y: value}, line)]}, x numeric when every x cell is."""
    for option, name in [("--x", args.x), ("--group", args.group)] + \
            [("--y", y) for y in args.y] + \
            [("--where", k) for k, _ in args.where]:
        if name is not None:
            need_column(path, header, name, option)
    rows = [(line, r) for line, r in rows
            if all(r[k] == v for k, v in args.where)]
    if not rows:
        raise BadInput(f"{path}: no row to plot"
                       + (" (after --where)" if args.where else ""))
    numeric_x = all(_is_number(r[args.x]) for _, r in rows)
    groups = {}
    for line, r in rows:
        x = float(r[args.x]) if numeric_x else r[args.x]
        ys = {y: as_number(line, y, r[y]) for y in args.y}
        group = r[args.group] if args.group else ""
        points = groups.setdefault(group, [])
        for px, _, pline in points:
            if px == x:
                others = [c for c in header
                          if c not in (args.x, args.group, *args.y)
                          and len({o[c] for _, o in rows}) > 1]
                raise BadInput(
                    f"{line}: a second row with {args.x}={r[args.x]}"
                    + (f" in {args.group}={group}" if args.group else "")
                    + f" (the first is {pline}): choose the other "
                    "varying columns with --group or --where "
                    f"({', '.join(others) or 'none left'})")
        points.append((x, ys, line))
    for points in groups.values():
        if numeric_x:
            points.sort(key=lambda p: p[0])
    return groups, numeric_x


def _is_number(cell):
    try:
        float(cell)
    except ValueError:
        return False
    return True


def plot(groups, numeric_x, args, out):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(args.y), 1, sharex=True, squeeze=False,
                             figsize=(args.width, args.height * len(args.y)))
    categories = []
    if not numeric_x:
        for points in groups.values():
            for x, _, _ in points:
                if x not in categories:
                    categories.append(x)
    for panel, y in zip(axes[:, 0], args.y):
        for group, points in groups.items():
            xs = [p[0] if numeric_x else categories.index(p[0])
                  for p in points]
            ys = [p[1][y] for p in points]
            label = f"{args.group}={group}" if args.group else None
            panel.plot(xs, ys, marker="o", label=label)
        panel.set_ylabel(y)
        panel.grid(True, alpha=0.3)
        if args.logy:
            panel.set_yscale("log")
        else:
            # Exact counts on the axis, not "1e6" and a mantissa.
            panel.ticklabel_format(axis="y", style="plain", useOffset=False)
        if args.group and len(groups) > 0:
            panel.legend(fontsize="small")
    bottom = axes[-1, 0]
    bottom.set_xlabel(args.x)
    if numeric_x and args.logx:
        bottom.set_xscale("log", base=2)
    if numeric_x:
        xs = sorted({p[0] for points in groups.values() for p in points})
        if len(xs) <= 12:
            bottom.set_xticks(xs)
            bottom.set_xticklabels([f"{v:g}" for v in xs])
            bottom.minorticks_off()
    else:
        bottom.set_xticks(range(len(categories)))
        bottom.set_xticklabels(categories)
    if args.title:
        axes[0, 0].set_title(args.title)
    fig.tight_layout()
    fig.savefig(out, dpi=args.dpi)
    plt.close(fig)


def main(argv):
    p = argparse.ArgumentParser(
        prog=PROG,
        description="Plot figures of a sweep CSV (mmusim run --csv, or "
        "mmusim merge) against a configuration key, one line per group.")
    p.add_argument("csv", help="the sweep CSV ('-': standard input)")
    p.add_argument("--x", required=True, help="column on the x axis, "
                   "such as config.tlb.l2.entries")
    p.add_argument("--y", required=True, action="append",
                   help="figure to plot, such as tlb_levels.stlb_misses; "
                   "repeat for "
                   "one panel per figure")
    p.add_argument("--group", help="one line per value of this column, "
                   "such as the --file-column of mmusim merge")
    p.add_argument("--where", action="append", default=[],
                   metavar="KEY=VALUE", help="only rows whose KEY is VALUE "
                   "(repeatable)")
    p.add_argument("-o", "--output", required=True,
                   help="the figure: .png, .svg or .pdf")
    p.add_argument("--logx", action="store_true", help="log2 x axis")
    p.add_argument("--logy", action="store_true", help="log y axes")
    p.add_argument("--title")
    p.add_argument("--width", type=float, default=6.4, help="inches")
    p.add_argument("--height", type=float, default=3.2,
                   help="inches per panel")
    p.add_argument("--dpi", type=float, default=150)
    args = p.parse_args(argv)
    ext = os.path.splitext(args.output)[1].lower()
    if ext not in (".png", ".svg", ".pdf"):
        p.error(f"--output {args.output}: not .png, .svg or .pdf")
    try:
        args.where = parse_where(args.where)
        header, rows = read_sweep(args.csv)
        groups, numeric_x = series(args.csv, header, rows, args)
    except BadInput as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print(f"{PROG}: needs matplotlib (Debian: python3-matplotlib, "
              "installed by scripts/bootstrap.sh)", file=sys.stderr)
        return EXIT_BAD_INPUT
    plot(groups, numeric_x, args, args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
