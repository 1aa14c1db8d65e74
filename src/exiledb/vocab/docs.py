"""Render the codebook as Markdown: `python -m exiledb.vocab.docs > docs/codebook.md`.

The methodology page and docs/codebook.md come from here, so they cannot drift from the codes
the database accepts; a test fails when docs/codebook.md is stale.
"""

from __future__ import annotations

from .codebook import CODEBOOK_VERSION, TACTICS, VOCABULARIES


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render() -> str:
    lines = [
        "# The exiledb codebook",
        "",
        f"Codebook version **{CODEBOOK_VERSION}**. Generated from `src/exiledb/vocab/codebook.py`"
        " by `make docs`; do not edit by hand.",
        "",
        "Codes are what the database stores and what files exchange; labels are what people "
        "read. An incident abroad has the highest stage of its tactics; a proxy incident "
        "(against relatives at home) is stage 1; a case has the highest stage of the incidents "
        "against the person.",
        "",
        "## Contents",
        "",
    ]
    lines += [
        f"- [{v.title}](#{v.title.lower().replace(' ', '-').replace('/', '')})"
        for v in VOCABULARIES
    ]
    for vocab in VOCABULARIES:
        lines += ["", f"## {vocab.title}", "", f"`{vocab.name}`: {vocab.description}", ""]
        has_stage = vocab is TACTICS
        has_group = any(c.group for c in vocab.codes)
        head = (
            ["code", "label"]
            + (["stage"] if has_stage else [])
            + (["group"] if has_group else [])
            + ["definition"]
        )
        lines.append("| " + " | ".join(head) + " |")
        lines.append("|" + "---|" * len(head))
        for c in vocab.codes:
            row = [f"`{c.code}`", _cell(c.label)]
            if has_stage:
                row.append(str(c.stage))
            if has_group:
                row.append(c.group)
            row.append(_cell(c.definition))
            lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(render(), end="")
