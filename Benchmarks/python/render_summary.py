"""Turns the benchmark summary (docs/benchmarks.json) into the full table (Markdown), a bar chart of the
ratios against each reference (SVG, no plotting library needed), and, when given the README, its
headline table between the `<!-- benchmarks:start -->` and `<!-- benchmarks:end -->` markers.

    python3 Benchmarks/python/render_summary.py docs/benchmarks.json docs/benchmarks.md docs/benchmarks.svg [README.md]
"""
import html
import json
import math
import platform
import sys


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def figure(value, unit):
    if unit in ("µs", "ns"):
        return f"{value:,.1f} {unit}" if value < 100 else f"{value:,.0f} {unit}"
    return f"{value:,.0f} {unit}"


def markdown(summary):
    rows = summary["comparisons"]
    lines = [
        f"Measured on {summary['machine']}, {cpu_model()}, Python {platform.python_version()}, in one run.",
        "",
        "| suite | measurement | ours | reference | × better | target |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for row in rows:
        target = f"≥ {row['target']:g}×" if row.get("target") else ""
        lines.append(
            f"| {row['suite']} | {row['name']} | {figure(row['ours'], row['unit'])} | "
            f"{figure(row['reference'], row['unit'])} ({row['referenceName']}) | {row['ratio']:.2f} | {target} |")
    return "\n".join(lines) + "\n"


def svg(summary):
    rows = summary["comparisons"]
    width, left, bar_height, gap, top = 900, 380, 16, 6, 40
    height = top + len(rows) * (bar_height + gap) + 40
    highest = max([row["ratio"] for row in rows] + [10])
    span = math.log10(highest) + 1  # the axis runs from 0.1× to the highest ratio

    def x(ratio):
        return left + (math.log10(max(ratio, 0.1)) + 1) / span * (width - left - 70)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="{left}" y="20" font-size="14" font-weight="bold">StructuredCache vs reference (× better, log scale)</text>',
    ]
    for tick in [0.1, 1, 10, 100, 1000]:
        if tick <= highest * 1.5:
            parts.append(f'<line x1="{x(tick):.1f}" y1="{top - 8}" x2="{x(tick):.1f}" y2="{height - 30}" stroke="#ddd"/>')
            parts.append(f'<text x="{x(tick):.1f}" y="{height - 14}" text-anchor="middle" fill="#666">{tick:g}×</text>')
    for index, row in enumerate(rows):
        y = top + index * (bar_height + gap)
        ok = row["ratio"] >= (row.get("target") or 1)
        color = "#2e7d32" if ok else "#c62828"
        label = html.escape(f"{row['suite']}: {row['name']}")[:60]
        parts.append(f'<text x="{left - 8}" y="{y + 12}" text-anchor="end">{label}</text>')
        parts.append(f'<rect x="{x(0.1):.1f}" y="{y}" width="{x(row["ratio"]) - x(0.1):.1f}" height="{bar_height}" fill="{color}"/>')
        parts.append(f'<text x="{x(row["ratio"]) + 4:.1f}" y="{y + 12}">{row["ratio"]:.1f}×</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


HEADLINES = [
    ("client", "AutoCache, one message", "cached `create`, one message, `User` (1 field), AutoCache"),
    ("client", "AutoCache, six 2 KB messages", "cached `create`, six 2 KB messages, `Person` (8 fields), AutoCache"),
    ("client", "DiskCache, one message", "cached `create`, one message, `User` (1 field), DiskCache"),
    ("client", "RedisCache, one message", "cached `create`, one message, `User` (1 field), RedisCache"),
    ("providers", "AnthropicProvider", "cached `create` through AnthropicProvider, AutoCache"),
    ("providers", "GeminiProvider", "cached `create` through GeminiProvider, AutoCache"),
    ("providers", "OpenAIResponsesProvider", "cached `create` through OpenAIResponsesProvider, AutoCache"),
    ("key", "key from a response model, one message", "`makeCacheKey`, one message"),
    ("key", "key from a response model, six 2 KB messages", "`makeCacheKey`, six 2 KB messages"),
    ("adapters", "autocache.get-hit.1t", "AutoCache get-hit, 1 thread"),
    ("adapters", "autocache.set-evict.1t", "AutoCache evicting set, 1 thread"),
    ("adapters", "autocache.get-hit.2t.p99_ns", "AutoCache get-hit p99, 2 threads"),
    ("adapters", "disk.2k.get-hit", "DiskCache get-hit, 2 KiB"),
    ("adapters", "disk.2k.set", "DiskCache set, 2 KiB"),
    ("redis", "RedisCache GET, 50 tasks", "RedisCache GET, 50 tasks"),
    ("redis", "RedisCache GET, 1 task", "RedisCache GET, 1 task"),
]


def headline_table(summary):
    rows = {(row["suite"], row["name"]): row for row in summary["comparisons"]}
    lines = ["| measurement | StructuredCache | reference | × better |", "|---|---:|---:|---:|"]
    for suite, name, label in HEADLINES:
        row = rows.get((suite, name))
        if row:
            lines.append(
                f"| {label} | {figure(row['ours'], row['unit'])} | {figure(row['reference'], row['unit'])} "
                f"({row['referenceName']}) | {row['ratio']:.1f} |")
    lines += ["", f"{summary['machine']}, {cpu_model()}; every row measured in the same run as its reference. "
              "All figures: [docs/benchmarks.md](docs/benchmarks.md); raw output: [docs/benchmarks.txt](docs/benchmarks.txt)."]
    return "\n".join(lines)


def update_readme(path, summary):
    with open(path) as f:
        text = f.read()
    start, end = "<!-- benchmarks:start -->", "<!-- benchmarks:end -->"
    before, rest = text.split(start, 1)
    _, after = rest.split(end, 1)
    with open(path, "w") as f:
        f.write(before + start + "\n" + headline_table(summary) + "\n" + end + after)


def main():
    source, table, chart = sys.argv[1:4]
    with open(source) as f:
        summary = json.load(f)
    with open(table, "w") as f:
        f.write(markdown(summary))
    with open(chart, "w") as f:
        f.write(svg(summary))
    if len(sys.argv) > 4:
        update_readme(sys.argv[4], summary)


main()
