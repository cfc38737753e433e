"""The package's import graph, read from the source (nothing is imported or run).

    python benchmarks/import_graph.py [REPO_ROOT]

Prints which layers import which (a top-level module or sub-package is one layer),
every import that is not at the top of its module (in a function body, or after the
first definition: the seam at the bottom of tensor.py), and the lines per layer.
docs/architecture.md records its output.
"""
import ast
import collections
import pathlib
import sys


def layer_of(module):
    """'tinygrad_edu.ops.conv' -> 'ops'; the package itself -> '__init__'."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def module_name(path, root):
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(node, module, is_package):
    """The tinygrad_edu modules an import statement names."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    if node.level:  # relative: resolve against this module's package
        base = module.split(".") if is_package else module.split(".")[:-1]
        base = base[: len(base) - node.level + 1]
        target = ".".join(base + ([node.module] if node.module else []))
        return [target] if node.module else [f"{target}.{a.name}" for a in node.names]
    return [node.module]


def main(repo):
    root = pathlib.Path(repo) / "tinygrad_edu"
    edges, late, lines = collections.defaultdict(set), [], collections.Counter()
    for path in sorted(root.rglob("*.py")):
        module = module_name(path, root)
        source = path.read_text()
        tree = ast.parse(source)
        lines[layer_of(module)] += len(source.splitlines())
        top = {id(n) for n in tree.body}
        first_def = min((n.lineno for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))), default=10**9)
        for node in ast.walk(tree):
            if not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            for target in imported_modules(node, module, path.name == "__init__.py"):
                if target.startswith("tinygrad_edu") and layer_of(target) != layer_of(module):
                    edges[layer_of(module)].add(layer_of(target))
            where = "inside a def, try or if" if id(node) not in top else "after the definitions" if node.lineno > first_def else None
            if where:
                late.append(f"{path.relative_to(root.parent)}:{node.lineno} ({where}): {ast.unparse(node)}")
    print("## layer -> layers it imports")
    for layer in sorted(edges):
        print(f"{layer:14s} -> {', '.join(sorted(edges[layer]))}")
    print("\n## imports not at the top of their module")
    print("\n".join(late))
    print("\n## lines per layer")
    for layer, n in lines.most_common():
        print(f"{layer:14s} {n}")
    print(f"{'total':14s} {sum(lines.values())}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ".")
