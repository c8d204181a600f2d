"""How long exporting a large artifact takes: PDF (WeasyPrint) and Word (python-docx).

Run: uv run python bench/export.py [--kb 200] [--repeat 3]

The artifact is a requirements document of about --kb kilobytes of markdown: numbered
sections each with headings, a paragraph with bold/italic/code/a link, nested lists, a
six-row table, a code block and accented and CJK text. The target is well under 2 s each.
A baseline in the same process (the markdown export of the same artifact) shows how busy
the machine is.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import date

from ba_assistant.artifacts.export import ExportSource, to_markdown
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kb", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    source = artifact(args.kb)
    print(f"artifact: {len(source.content.encode()) / 1024:.0f} KB of markdown")
    start = time.perf_counter()
    to_pdf(ExportSource(**{**source.__dict__, "content": "warm-up"}), author="Bench")
    print(f"first PDF in the process (fonts loaded): {time.perf_counter() - start:.2f} s")
    baseline = timed(lambda: to_markdown(source).encode(), args.repeat)
    pdf = timed(lambda: to_pdf(source, author="Bench"), args.repeat)
    word = timed(lambda: to_docx(source, author="Bench"), args.repeat)
    for name, (best, median, size) in (("markdown", baseline), ("pdf", pdf), ("docx", word)):
        print(f"{name:9} best {best:6.3f} s  median {median:6.3f} s  {size / 1024:7.0f} KB")
    for name, (_, median, _) in (("pdf", pdf), ("docx", word)):
        print(f"{name}: {'PASS' if median < 2 else 'MISS'} (target < 2 s, median {median:.2f} s)")


if __name__ == "__main__":
    main()
