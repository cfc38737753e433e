"""Solution regions in the reference source, and the stubs that replace them.

A region is written in the reference code as comments, so the reference package stays
importable and fully tested::

        # BEGIN SOLUTION task 2.3
        ...the solution...
        # END SOLUTION

The stub that replaces it in a release is one line at the indentation of the BEGIN
line, which keeps the signature and docstring above it::

        raise NotImplementedError("Task 2.3: <title>. <hint>")

Regions may not nest, must be closed, and must name a task of the manifest.
"""
import ast
import re
from dataclasses import dataclass

BEGIN = re.compile(r"^(?P<indent>[ \t]*)# BEGIN SOLUTION task (?P<id>\S+)\s*$")
END = re.compile(r"^[ \t]*# END SOLUTION\s*$")
ANY_MARKER = re.compile(r"^\s*#\s*(BEGIN|END)\s+SOLUTION", re.IGNORECASE)  # a comment that tries to be one


class MarkerError(ValueError):
    """A malformed region: nested, unclosed, unmatched, or naming an unknown task."""


@dataclass(frozen=True)
class Region:
    task_id: str
    indent: str
    begin: int  # 0-based line index of the BEGIN comment
    end: int  # 0-based line index of the END comment


def find_regions(source, path="<source>", known_ids=None):
    """The regions of ``source``, checked: raises MarkerError naming the file and line."""
    regions, open_region = [], None
    for i, line in enumerate(source.splitlines()):
        begin, end = BEGIN.match(line), END.match(line)
        if begin:
            if open_region is not None:
                raise MarkerError(f"{path}:{i + 1}: BEGIN SOLUTION inside the region of task {open_region[1]} "
                                  f"opened at line {open_region[0] + 1}; regions may not nest")
            task_id = begin["id"]
            if known_ids is not None and task_id not in known_ids:
                raise MarkerError(f"{path}:{i + 1}: unknown task {task_id!r} (not in tasks.toml)")
            open_region = (i, task_id, begin["indent"])
        elif end:
            if open_region is None:
                raise MarkerError(f"{path}:{i + 1}: END SOLUTION without a BEGIN SOLUTION before it")
            regions.append(Region(open_region[1], open_region[2], open_region[0], i))
            open_region = None
        elif ANY_MARKER.search(line):
            raise MarkerError(f"{path}:{i + 1}: malformed marker {line.strip()!r}; write "
                              "'# BEGIN SOLUTION task A.B' or '# END SOLUTION' on a line of their own")
    if open_region is not None:
        raise MarkerError(f"{path}:{open_region[0] + 1}: the region of task {open_region[1]} is never closed "
                          "(no END SOLUTION)")
    return regions


def stub_line(indent, task):
    """The line that replaces a region of ``task``."""
    return f'{indent}raise NotImplementedError("Task {task.id}: {task.title}. {task.hint}")\n'


def strip_regions(source, tasks_by_id, stub_ids, path="<source>"):
    """``source`` with each region of a task in ``stub_ids`` replaced by its stub and
    every other region's markers removed (its solution kept). Returns (text, solution
    lines removed) and checks the result parses."""
    lines = source.splitlines(keepends=True)
    regions = find_regions(source, path, set(tasks_by_id))
    out, removed, cursor = [], [], 0
    for r in regions:
        out += lines[cursor:r.begin]
        body = lines[r.begin + 1:r.end]
        if r.task_id in stub_ids:
            out.append(stub_line(r.indent, tasks_by_id[r.task_id]))
            removed += body
        else:
            out += body
        cursor = r.end + 1
    out += lines[cursor:]
    text = "".join(out)
    try:
        ast.parse(text, filename=path)
    except SyntaxError as e:
        raise MarkerError(f"{path}: the released file does not parse ({e.msg}, line {e.lineno}); "
                          "a region must hold whole statements of one block") from None
    return text, removed
