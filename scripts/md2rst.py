#!/usr/bin/env python3
# Copyright: alicloud.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Generate the docsite pages that have a Markdown source in docs/.

    scripts/md2rst.py            write docs/docsite/rst/<page>.rst for every page in PAGES
    scripts/md2rst.py --check    exit 1 (naming them) if a generated page is not up to date

The scenario guide, the migration guide and the versioning policy are read on
GitHub and Galaxy as Markdown (the README links them) and on the docsite as
reStructuredText. The Markdown file is the one source; the .rst file is
generated from it and committed, because antsibull-docs reads extra docs from
docs/docsite/rst/ only. `make docs-rst` runs this script, and
tests/packaging/test_docsite.py fails when someone edits a Markdown page
without regenerating (or edits a generated page by hand).

Only the Markdown these pages use is understood: ATX headings, paragraphs,
bullet and numbered lists (nested by indentation), fenced code blocks, pipe
tables, `code`, **bold**, *emphasis* and [links](target). Anything else is
passed through as text. Links are rewritten for the docsite: a heading of a
generated page becomes a :ref: to the label made for it, the AWX page (rst
only) a :ref: to its label, other repository files a link into the source
repository, and a code span that is exactly the FQCN of a module, plugin or
role of the collection a link to its page. A link to a heading that does not
exist is an error.
"""

from __future__ import annotations

import argparse
import posixpath
import re
import sys
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPOSITORY = "https://github.com/alicloud-ecs/alicloud.ecs/blob/main/"
LABEL_PREFIX = "ansible_collections.alicloud.ecs.docsite."
# Markdown source -> docsite page name (docs/docsite/rst/<name>.rst, label LABEL_PREFIX + name).
PAGES = {
    "docs/guide.md": "guide",
    "docs/migration.md": "migration",
    "docs/versioning.md": "versioning",
}
# Pages written in reStructuredText only: path -> label.
RST_PAGES = {
    "docs/docsite/rst/awx.rst": LABEL_PREFIX + "awx",
}
UNDERLINES = {1: "=", 2: "-", 3: "^", 4: "~", 5: '"', 6: "'"}


# ------------------------------------------------------------------ blocks
@dataclass
class Block:
    kind: str  # heading, para, code, list, table
    text: str = ""
    level: int = 0
    lang: str = ""
    lines: list[str] = field(default_factory=list)
    ordered: bool = False
    items: list[tuple[str, list["Block"]]] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)


HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
FENCE = re.compile(r"^(\s*)(```+|~~~+)\s*([\w+-]*)\s*$")
LIST_ITEM = re.compile(r"^(\s*)([-*+]|\d+[.)])(\s+)(.*)$")
TABLE_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")


def indent_of(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def starts_block(line: str, next_line: str | None) -> bool:
    return bool(
        HEADING.match(line)
        or FENCE.match(line)
        or LIST_ITEM.match(line)
        or (line.lstrip().startswith("|") and next_line is not None and TABLE_SEPARATOR.match(next_line))
    )


def split_row(line: str) -> list[str]:
    """Cells of a pipe-table row; a | inside a code span or escaped as \\| stays in its cell."""
    text = line.strip()
    if text.startswith("|"):
        text = text[1:]
    if text.endswith("|") and not text.endswith("\\|"):
        text = text[:-1]
    cells, current, in_code, i = [], "", False, 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text) and text[i + 1] == "|":
            current += "|"
            i += 2
            continue
        if char == "`":
            in_code = not in_code
        if char == "|" and not in_code:
            cells.append(current.strip())
            current = ""
        else:
            current += char
        i += 1
    cells.append(current.strip())
    return cells


def parse_blocks(lines: list[str]) -> list[Block]:
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
            continue
        next_line = lines[i + 1] if i + 1 < len(lines) else None
        fence = FENCE.match(line)
        if fence:
            indent, marker, lang = len(fence.group(1)), fence.group(2), fence.group(3)
            body = []
            i += 1
            while i < len(lines) and not lines[i].strip().startswith(marker):
                body.append(lines[i][indent:] if indent_of(lines[i]) >= indent else lines[i].lstrip())
                i += 1
            blocks.append(Block("code", lang=lang or "text", lines=body))
            i += 1
            continue
        heading = HEADING.match(line)
        if heading:
            blocks.append(Block("heading", text=heading.group(2), level=len(heading.group(1))))
            i += 1
            continue
        if line.lstrip().startswith("|") and next_line is not None and TABLE_SEPARATOR.match(next_line):
            rows = [split_row(line)]
            i += 2
            while i < len(lines) and lines[i].lstrip().startswith("|"):
                rows.append(split_row(lines[i]))
                i += 1
            blocks.append(Block("table", rows=rows))
            continue
        item = LIST_ITEM.match(line)
        if item:
            i = parse_list(lines, i, blocks)
            continue
        para = [line.strip()]
        i += 1
        while i < len(lines) and lines[i].strip():
            if starts_block(lines[i], lines[i + 1] if i + 1 < len(lines) else None):
                break
            para.append(lines[i].strip())
            i += 1
        blocks.append(Block("para", text="\n".join(para)))
    return blocks


def parse_list(lines: list[str], i: int, blocks: list[Block]) -> int:
    first = LIST_ITEM.match(lines[i])
    assert first
    base = len(first.group(1))
    ordered = first.group(2)[0].isdigit()
    block = Block("list", ordered=ordered)
    while i < len(lines):
        item = LIST_ITEM.match(lines[i])
        if not item or len(item.group(1)) != base or item.group(2)[0].isdigit() != ordered:
            break
        marker = item.group(2)
        content_indent = base + len(marker) + len(item.group(3))
        body = [item.group(4)]
        i += 1
        while i < len(lines):
            line = lines[i]
            if not line.strip():
                # A blank line continues the item only if indented content follows.
                j = i
                while j < len(lines) and not lines[j].strip():
                    j += 1
                if j < len(lines) and indent_of(lines[j]) >= content_indent:
                    body.extend([""] * (j - i))
                    i = j
                    continue
                break
            if indent_of(line) >= content_indent:
                body.append(line[content_indent:])
            elif body[-1].strip() and not starts_block(line.lstrip(), None) and indent_of(line) > base:
                body.append(line.strip())  # lazy continuation of the item's paragraph
            elif body[-1].strip() and not starts_block(line, None) and indent_of(line) == base and not LIST_ITEM.match(line):
                body.append(line.strip())
            else:
                break
            i += 1
        block.items.append((marker, parse_blocks(body)))
        # Blank lines between items of the same list.
        j = i
        while j < len(lines) and not lines[j].strip():
            j += 1
        following = LIST_ITEM.match(lines[j]) if j < len(lines) else None
        if following and len(following.group(1)) == base and following.group(2)[0].isdigit() == ordered:
            i = j
        else:
            break
    blocks.append(block)
    return i


# ------------------------------------------------------------------ inline
CODE = re.compile(r"`([^`]+)`")
LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*", re.S)
EMPHASIS = re.compile(r"\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?!\*)", re.S)
BEFORE_OK = set("-:/'\"<([{")
AFTER_OK = set("-.,:;!?\\/'\")]}>")


def slug(text: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = CODE.sub(lambda m: m.group(1), text).strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def plain(text: str) -> str:
    """Markdown's plain text without its markup characters."""
    text = CODE.sub(lambda m: m.group(1), text)
    text = LINK.sub(lambda m: m.group(1), text)
    return text.replace("**", "").replace("*", "")


def escape(text: str) -> str:
    text = text.replace("\\", "\\\\")
    text = re.sub(r"([*`|])", r"\\\1", text)
    # word_ and word__ are references in rst.
    return re.sub(r"(?<=\w)(_+)(?=\W|$)", lambda m: "\\" + m.group(1), text)


def delimiter_ok(char: str, allowed: set[str], opening: bool) -> bool:
    if not char or char.isspace() or char in allowed:
        return True
    category = unicodedata.category(char)
    return category in (("Ps", "Pi", "Pf", "Pd", "Po") if opening else ("Pe", "Pi", "Pf", "Pd", "Po"))


class Converter:
    def __init__(self, source: str, slugs: dict[str, set[str]], plugins: dict[str, str]) -> None:
        self.source = source  # repository path of the Markdown file
        self.slugs = slugs  # repository path -> heading anchors (generated pages and linked Markdown files)
        self.plugins = plugins  # FQCN -> antsibull-docs plugin reference
        self.errors: list[str] = []

    # -- links
    def link(self, text: str, target: str) -> str:
        label_text = plain(text).replace("<", "\\<").replace("`", "")
        if re.match(r"[a-z]+:", target):
            return "`%s <%s>`__" % (label_text, target)
        path, _, anchor = target.partition("#")
        path = posixpath.normpath(posixpath.join(posixpath.dirname(self.source), path)) if path else self.source
        if path in PAGES:
            label = LABEL_PREFIX + PAGES[path]
            if anchor:
                if anchor not in self.slugs.get(path, set()):
                    self.errors.append("%s: no heading for the link %s" % (self.source, target))
                label += "." + anchor
            return ":ref:`%s <%s>`" % (label_text, label)
        if path in RST_PAGES and not anchor:
            return ":ref:`%s <%s>`" % (label_text, RST_PAGES[path])
        if not (ROOT / path).exists():
            self.errors.append("%s: the link %s names a file that does not exist" % (self.source, target))
        if anchor and path in self.slugs and anchor not in self.slugs[path]:
            self.errors.append("%s: no heading for the link %s" % (self.source, target))
        return "`%s <%s%s%s>`__" % (label_text, REPOSITORY, path, "#" + anchor if anchor else "")

    # -- spans
    def code(self, text: str) -> str:
        if text in self.plugins:
            return ":ansplugin:`%s`" % self.plugins[text]
        if "``" in text or text != text.strip():
            return ":literal:`%s`" % text.replace("\\", "\\\\").replace("`", "\\`")
        return "``%s``" % text

    def inline(self, text: str, nested: bool = False) -> str:
        """Markdown inline text -> rst. Nested (inside bold or emphasis): rst cannot nest markup."""
        out: list[str] = []
        pos = 0
        while pos < len(text):
            match, kind = None, None
            for kind, pattern in (("code", CODE), ("link", LINK), ("bold", BOLD), ("em", EMPHASIS)):
                found = pattern.match(text, pos)
                if found:
                    match = found
                    break
            if match is None:
                nxt = min([m.start() for m in (p.search(text, pos + 1) for p in (CODE, LINK, BOLD, EMPHASIS)) if m] or [len(text)])
                out.append(escape(text[pos:nxt]))
                pos = nxt
                continue
            if nested:
                rendered = escape(plain(match.group(0)))
            elif kind == "code":
                rendered = self.code(match.group(1))
            elif kind == "link":
                rendered = self.link(match.group(1), match.group(2))
            elif kind == "bold":
                rendered = "**%s**" % self.inline(match.group(1), nested=True)
            else:
                rendered = "*%s*" % self.inline(match.group(1), nested=True)
            if not nested:
                before = "".join(out)[-1:]
                after = text[match.end():match.end() + 1]
                if not delimiter_ok(before, BEFORE_OK, True):
                    rendered = "\\ " + rendered
                if not delimiter_ok(after, AFTER_OK, False):
                    rendered += "\\ "
            out.append(rendered)
            pos = match.end()
        return "".join(out)

    # -- blocks
    def render(self, blocks: list[Block], page: str) -> list[str]:
        out: list[str] = []
        for block in blocks:
            if out and out[-1] != "":
                out.append("")
            out.extend(self.render_block(block, page))
        return out

    def render_block(self, block: Block, page: str) -> list[str]:
        if block.kind == "heading":
            title = self.inline(block.text)
            lines = []
            if block.level > 1:
                lines += [".. _%s%s.%s:" % (LABEL_PREFIX, page, slug(block.text)), ""]
            return lines + [title, UNDERLINES[block.level] * max(len(title), 3)]
        if block.kind == "para":
            return self.inline(block.text).split("\n")
        if block.kind == "code":
            lang = {"yml": "yaml", "sh": "console", "shell": "console", "bash": "console"}.get(block.lang, block.lang)
            return [".. code-block:: %s" % lang, ""] + [("   " + line).rstrip() for line in block.lines]
        if block.kind == "list":
            out: list[str] = []
            for number, (marker, content) in enumerate(block.items, 1):
                bullet = "%d. " % number if block.ordered else "- "
                if block.ordered and number == 1 and marker[:-1] != "1":
                    bullet = "%s. " % marker[:-1]
                body = self.render(content, page) or [""]
                if out:
                    out.append("")
                out.append((bullet + body[0]).rstrip())
                out.extend((" " * len(bullet) + line).rstrip() for line in body[1:])
            return out
        if block.kind == "table":
            header, rows = block.rows[0], block.rows[1:]
            out = [".. list-table::", "   :header-rows: 1", ""]
            for row in [header] + rows:
                cells = (row + [""] * len(header))[: len(header)]
                for index, cell in enumerate(cells):
                    text = self.inline(cell) if cell else ""
                    out.append(("   %s - %s" % ("*" if index == 0 else " ", text)).rstrip())
            return out
        raise ValueError(block.kind)


def collection_plugins() -> dict[str, str]:
    """FQCN -> :ansplugin: reference for every module, inventory plugin and role of the collection."""
    refs = {}
    for path in sorted((ROOT / "plugins" / "modules").glob("*.py")):
        refs["alicloud.ecs." + path.stem] = "alicloud.ecs.%s#module" % path.stem
    for path in sorted((ROOT / "plugins" / "inventory").glob("*.py")):
        refs["alicloud.ecs." + path.stem] = "alicloud.ecs.%s#inventory" % path.stem
    for path in sorted((ROOT / "roles").iterdir()):
        if (path / "meta" / "argument_specs.yml").exists():
            refs["alicloud.ecs." + path.name] = "alicloud.ecs.%s#role" % path.name
    return {name: ref for name, ref in refs.items() if not name.endswith(".__init__")}


def heading_slugs(path: str) -> set[str]:
    text = (ROOT / path).read_text(encoding="utf-8")
    text = re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)
    return {slug(m.group(2)) for m in map(HEADING.match, text.splitlines()) if m}


def linked_markdown(sources: list[str]) -> set[str]:
    found = set()
    for source in sources:
        for target in LINK.findall((ROOT / source).read_text(encoding="utf-8")):
            path = target[1].partition("#")[0]
            if path.endswith(".md") and not re.match(r"[a-z]+:", path):
                found.add(posixpath.normpath(posixpath.join(posixpath.dirname(source), path)))
    return {path for path in found if (ROOT / path).exists()}


def convert(source: str, slugs: dict[str, set[str]], plugins: dict[str, str]) -> tuple[str, list[str]]:
    page = PAGES[source]
    lines = (ROOT / source).read_text(encoding="utf-8").splitlines()
    converter = Converter(source, slugs, plugins)
    body = converter.render(parse_blocks(lines), page)
    header = [
        "..",
        "  Generated from %s by scripts/md2rst.py (make docs-rst): edit that file, not this one." % source,
        "",
        ".. _%s%s:" % (LABEL_PREFIX, page),
        "",
    ]
    return "\n".join(header + body).rstrip() + "\n", converter.errors


def target_of(source: str) -> Path:
    return ROOT / "docs" / "docsite" / "rst" / (PAGES[source] + ".rst")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only check that the generated pages are up to date")
    args = parser.parse_args()
    sources = [source for source in PAGES if (ROOT / source).exists()]
    slugs = {path: heading_slugs(path) for path in set(sources) | linked_markdown(sources)}
    plugins = collection_plugins()
    stale, errors = [], []
    for source in sources:
        text, problems = convert(source, slugs, plugins)
        errors += problems
        target = target_of(source)
        if target.exists() and target.read_text(encoding="utf-8") == text:
            continue
        if args.check:
            stale.append(str(target.relative_to(ROOT)))
        else:
            target.write_text(text, encoding="utf-8")
            print("wrote %s" % target.relative_to(ROOT))
    for error in errors:
        print("error: " + error, file=sys.stderr)
    if stale:
        print("not generated from their Markdown source (run make docs-rst): %s" % ", ".join(stale), file=sys.stderr)
    return 1 if errors or stale else 0


if __name__ == "__main__":
    sys.exit(main())
