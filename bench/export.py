"""How long exporting a large artifact takes: PDF (WeasyPrint) and Word (python-docx).

Run: uv run python bench/export.py [--kb 20 50 200] [--repeat 3]

The artifact is a requirements document of about --kb kilobytes of markdown: numbered
sections each with headings, a paragraph with bold/italic/code/a link, nested lists, a
five-row table, a code block and accented and CJK text. The target is well under 2 s each
at 200 KB. A fixed pure-Python loop timed in the same process, before and after, shows how
fast the (shared) machine was, so runs on busy and quiet machines can be compared.
"""

from __future__ import annotations

import argparse
import io
import statistics
import time
from datetime import date

import pypdf

from ba_assistant.artifacts.export import ExportSource
from ba_assistant.artifacts.pdf import to_pdf
from ba_assistant.artifacts.word import to_docx

SECTION = """## {n}. Refund rule {n}

Customers get **partial refunds** within *30 days*; the café owner (`owner_id`) sees each one.
See [the refund policy](https://example.com/policy/{n}). 退款规则 {n} applies to Société Générale.

- Amount is at most the order total
  - Shipping is refunded only when every item is
  - Vouchers go back as vouchers
- A refund is recorded on the order history

1. The customer picks the items
2. The system shows the amount
3. The customer confirms

| Field | Rule | Example |
|---|---|---|
| Amount | ≤ €500 without approval | €120.00 |
| Reason | required, 10–500 characters | Damaged on arrival |
| Method | original payment method | Visa •••• 4242 |
| Items | at least one | 2 of 3 |
| Approver | above €500 | Team lead |

```
POST /refunds {{"order_id": "o-{n}", "amount": "40.00"}}
201 Created
```

"""


def artifact(kilobytes: int) -> ExportSource:
    parts = ["# Refund requirements\n\n"]
    n = 0
    while sum(len(p.encode()) for p in parts) < kilobytes * 1024:
        n += 1
        parts.append(SECTION.format(n=n))
    return ExportSource(
        title="Refund requirements",
        type="requirements_doc",
        content="".join(parts),
        project="Shop — café",
        version=1,
        exported_on=date.today(),
    )


def timed(render, repeat: int) -> tuple[float, float, int]:
    times, size = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        size = len(render())
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times), size


def calibration() -> float:
    """Seconds for a fixed piece of pure-Python work: how fast this machine is right now."""
    start = time.perf_counter()
    sum(i * i for i in range(2_000_000))
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kb", type=int, nargs="+", default=[20, 50, 200])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    start = time.perf_counter()
    to_pdf(ExportSource(**{**artifact(1).__dict__, "content": "warm-up"}), author="Bench")
    print(f"first PDF in the process (fonts loaded): {time.perf_counter() - start:.2f} s")
    unit = min(calibration() for _ in range(5))
    print(f"calibration (fixed Python loop): {unit * 1000:.0f} ms")
    for kilobytes in args.kb:
        source = artifact(kilobytes)
        pages = len(pypdf.PdfReader(io.BytesIO(to_pdf(source, author="Bench"))).pages)
        print(f"\n{kilobytes} KB of markdown, {pages} A4 pages as PDF")
        pdf = timed(lambda: to_pdf(source, author="Bench"), args.repeat)  # noqa: B023
        word = timed(lambda: to_docx(source, author="Bench"), args.repeat)  # noqa: B023
        for name, (best, median, size) in (("pdf", pdf), ("docx", word)):
            verdict = "PASS" if median < 2 else "MISS"
            print(
                f"  {name:5} best {best:6.2f} s  median {median:6.2f} s  "
                f"({median / unit:5.0f} calibration units)  {size / 1024:6.0f} KB  "
                f"{verdict} (target < 2 s)"
            )
        print(f"  pdf per page: {pdf[1] / pages * 1000:.0f} ms")
    print(f"\ncalibration after: {min(calibration() for _ in range(5)) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
